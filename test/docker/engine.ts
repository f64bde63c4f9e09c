/**
 * A Docker engine for the recipe test: the one already running, or Debian's docker.io installed
 * (if missing) and `dockerd` started here with `--iptables=false` (the host's firewall is left as
 * it was: the test's containers and the host meet on one bridge, which needs no NAT), stopped
 * again afterwards. Where no engine can run (not root, no cgroups), says why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run, type RunResult } from '../helpers/tools';

/** The Docker CLI: Debian's when installed (it matches its dockerd), else the one on PATH. */
export const DOCKER = fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export function docker(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return run(DOCKER, args, { timeoutMs });
}

export interface Engine {
  /** Stops dockerd if this helper started it. */
  stop(): Promise<void>;
}

async function engineUp(): Promise<boolean> {
  return (await run(DOCKER, ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).catch(() => ({ code: 1 }))).code === 0;
}

async function aptInstall(pkgs: string[]): Promise<void> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { timeoutMs: 300_000, env });
  const r = await run('apt-get', ['install', '-y', '-qq', ...pkgs], { timeoutMs: 600_000, env });
  if (r.code !== 0) throw new Error(`apt-get install ${pkgs.join(' ')}: ${r.stderr.slice(-500)}`);
}

function commandExists(cmd: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => d !== '' && fs.existsSync(path.join(d, cmd)));
}

/** Ensures `docker-compose` (Debian's, v1) or `docker compose`; returns the argv prefix. */
export async function composeCommand(): Promise<string[]> {
  if ((await run(DOCKER, ['compose', 'version'], { timeoutMs: 20_000 }).catch(() => ({ code: 1 }))).code === 0) return [DOCKER, 'compose'];
  if (!commandExists('docker-compose')) await aptInstall(['docker-compose']);
  return ['docker-compose'];
}

async function startDockerd(extra: string[], logFile: string): Promise<ChildProcess | undefined> {
  const out = fs.openSync(logFile, 'a');
  const child = spawn('dockerd', extra, { stdio: ['ignore', out, out], detached: false });
  fs.closeSync(out);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return undefined;
    if (await engineUp()) return child;
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill('SIGTERM');
  return undefined;
}

/** An engine, or the reason there is none. */
export async function ensureEngine(): Promise<Engine | { skip: string }> {
  if (await engineUp()) return { stop: async () => undefined };
  if (process.getuid?.() !== 0) return { skip: 'no Docker engine runs and this user is not root, so none can be started' };
  if (!commandExists('dockerd')) await aptInstall(['docker.io']);
  const logFile = path.join(os.tmpdir(), `etcd-ts-dockerd-${process.pid}.log`);
  const child = await startDockerd(['--iptables=false'], logFile);
  if (child === undefined) {
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-600) : '';
    return { skip: `dockerd could not start here: ${tail}` };
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => (child.kill('SIGKILL'), r()), 15_000);
        child.on('exit', () => (clearTimeout(t), r()));
      });
    },
  };
}
