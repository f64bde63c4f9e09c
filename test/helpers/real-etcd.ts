import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';
import { healthy } from './process-member';
import type { RunningMember } from './running-member';
import { toolPath } from './tools';

export interface RealEtcdOptions {
  /** etcd --name (default "default"). */
  name?: string;
  /** Extra etcd flags, appended after ours (so they win where etcd takes the last value). */
  extraArgs?: string[];
  /** How long to wait for the member to answer /health (default 30 s). */
  startTimeoutMs?: number;
  /** etcd binary name under .tools/bin (default "etcd", the 3.6 build). */
  binary?: string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts the real etcd built by test/tools/install.sh (.tools/bin/etcd, 3.6) as a single-member
 * cluster on free 127.0.0.1 client and peer ports with a fresh temporary data dir, and resolves once
 * GET /health answers {"health":"true"}. stop() kills it and removes the data dir.
 */
export async function startRealEtcd(opts: RealEtcdOptions = {}): Promise<RunningMember> {
  const bin = toolPath(opts.binary ?? 'etcd');
  const name = opts.name ?? 'default';
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `real-etcd-${name}-`));
  const args = [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${name}=${peerUrl}`,
    '--initial-cluster-state=new',
    '--log-level=warn',
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: stripEtcdEnv() });
  live.add(child);
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    if (log.length > 64 * 1024) log = log.slice(-32 * 1024);
  });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill('SIGKILL');
      await exitPromise;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`etcd exited during startup (${bin} ${args.join(' ')}):\n${log}`);
    }
    if (await healthy(clientUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not become healthy at ${clientUrl} in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return { name, clientUrl, endpoint: `127.0.0.1:${clientPort}`, dataDir, stop };
}

/** The current environment without ETCD_* variables (etcd reads its flags from them). */
function stripEtcdEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('ETCD_')) env[k] = v;
  }
  return env;
}
