/**
 * Servers for the watch compatibility tests that can be restarted on the same data dir and
 * client port (to test clients resuming watches), with a short progress-notify interval:
 * real etcd 3.6 (child process) and etcd-ts (in-process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports';
import { healthy } from '../helpers/process-member';
import { spawn } from 'node:child_process';
import { toolPath } from '../helpers/tools';
import { startMember } from '../helpers/member';
import type { RunningMember } from '../helpers/running-member';

export const PROGRESS_MS = 500;

export interface Restartable {
  label: string;
  endpoint: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

type Starter = (dataDir: string, clientPort: number, peerPort: number) => Promise<RunningMember>;

/** Real etcd on OUR data dir and ports (startRealEtcd picks its own), healthy before resolving. */
const real: Starter = async (dataDir, clientPort, peerPort) => {
  const c = `http://127.0.0.1:${clientPort}`;
  const p = `http://127.0.0.1:${peerPort}`;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD_')) env[k] = v;
  const child = spawn(
    toolPath('etcd'),
    [
      '--name=default',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${c}`,
      `--advertise-client-urls=${c}`,
      `--listen-peer-urls=${p}`,
      `--initial-advertise-peer-urls=${p}`,
      `--initial-cluster=default=${p}`,
      '--initial-cluster-state=new',
      '--log-level=error',
      `--watch-progress-notify-interval=${PROGRESS_MS}ms`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'], env },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  const stop = async (): Promise<void> => {
    if (!dead) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  const deadline = Date.now() + 30_000;
  while (!(await healthy(c))) {
    if (dead || Date.now() > deadline) {
      await stop();
      throw new Error(`real etcd did not become healthy at ${c}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'default', clientUrl: c, endpoint: `127.0.0.1:${clientPort}`, dataDir, stop };
};

const ours: Starter = (dataDir, clientPort) => {
  const c = `http://127.0.0.1:${clientPort}`;
  return startMember({
    dataDir,
    listenClientUrls: [new URL(c)],
    advertiseClientUrls: [c],
    watchProgressNotifyMs: PROGRESS_MS,
  });
};

async function make(label: string, start: Starter): Promise<Restartable> {
  const dataDir = mkdtempSync(join(tmpdir(), 'watch-compat-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  let m: RunningMember | undefined = await start(dataDir, clientPort, peerPort);
  return {
    label,
    endpoint: `127.0.0.1:${clientPort}`,
    async restart() {
      await m?.stop();
      m = undefined;
      m = await start(dataDir, clientPort, peerPort);
    },
    async stop() {
      await m?.stop();
      m = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RestartableTarget {
  label: string;
  start(): Promise<Restartable>;
}

export function restartableTargets(): RestartableTarget[] {
  const all: RestartableTarget[] = [
    { label: 'real etcd 3.6', start: () => make('real etcd 3.6', real) },
    { label: 'etcd-ts', start: () => make('etcd-ts', ours) },
  ];
  const only = process.env['ETCD_TS_COMPAT_TARGETS'];
  if (only === 'real') return all.slice(0, 1);
  if (only === 'etcd-ts') return all.slice(1);
  return all;
}
