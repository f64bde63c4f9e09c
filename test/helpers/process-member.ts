/**
 * Starts `bin/etcd-ts` as a child process (etcd's flags, 127.0.0.1 free ports) so that tests can
 * kill -9 it, restart it on the same data dir, or watch it refuse to start. Ready once
 * Maintenance.Status over gRPC reports a leader. stderr is kept for diagnostics (last 256 KiB).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { method } from '../../src/server/wire/protos';
import { freePort } from './ports';
import type { RunningMember } from './running-member';
import { waitForChild } from './tools';

export interface ProcessMemberOptions {
  /** Data dir (default: a fresh temp dir, removed by stop() but not by kill()). */
  dataDir?: string;
  name?: string;
  clientPort?: number;
  peerPort?: number;
  /** Appended after the standard flags. */
  extraArgs?: string[];
  env?: Record<string, string>;
  /** Another server binary taking etcd's flags (e.g. the real etcd, .tools/bin/etcd); default etcd-ts. */
  binary?: string;
  /** How long to wait for Maintenance.Status to report a leader (default 30 s). */
  startTimeoutMs?: number;
}

export type ProcessMember = RunningMember & {
  pid: number;
  clientPort: number;
  peerPort: number;
  /** Sends `signal` (default SIGKILL) and resolves with the exit code (null when killed by a signal). */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM, waits for the exit. Removes the data dir only if this helper created it. */
  stop(): Promise<void>;
  stderr(): string;
  /** Resolves when the process has exited: { code, signal }. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
};

/** Repository root from dist/test/helpers (compiled) or test/helpers (sources). */
export function repoRootDir(): string {
  for (const up of ['../../..', '../..']) {
    const dir = path.resolve(__dirname, up);
    if (fs.existsSync(path.join(dir, 'bin', 'etcd-ts')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`repo root not found from ${__dirname}`);
}

export function etcdTsBin(): string {
  return path.join(repoRootDir(), 'bin', 'etcd-ts');
}

/**
 * node's own flags on bin/etcd-ts's `#!/usr/bin/env -S node ...` line, which apply when the file
 * is executed: members started by the helpers (process.execPath, these flags, the file) run with
 * them, as a user's do.
 */
export function etcdTsNodeFlags(): string[] {
  return [...(nodeFlags ??= readNodeFlags())];
}

let nodeFlags: readonly string[] | undefined;

function readNodeFlags(): string[] {
  const first = fs.readFileSync(etcdTsBin(), 'utf8').split('\n', 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node((?: +\S+)*) *$/.exec(first);
  if (m === null) throw new Error(`bin/etcd-ts: unexpected first line ${JSON.stringify(first)}`);
  return m[1]!.split(' ').filter((a) => a !== '');
}

/** The argv after process.execPath that runs bin/etcd-ts as executing the file does. */
export function etcdTsArgv(args: readonly string[]): string[] {
  return [...etcdTsNodeFlags(), etcdTsBin(), ...args];
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** The current environment without ETCD_* variables (etcd-ts reads its flags from them too). */
function cleanEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD_')) env[k] = v;
  return { ...env, ...(extra ?? {}) };
}

/**
 * True once Maintenance.Status answers over gRPC with a leader, or refuses it for want of a user
 * (auth is enabled: the member serves). (GET /health is not used: the client port's HTTP side
 * may not answer, and readiness must not depend on it.)
 */
export async function statusReady(endpoint: string, timeoutMs = 1000): Promise<boolean> {
  // grpc-js is asked only once the port accepts a connection: after a refused connect its
  // subchannel waits out a backoff and then connects once more, even with the client closed
  // (grpc-js 1.14), to whatever listens on the port by then (a test's port blocker, which then
  // keeps the test process alive).
  if (!(await accepts(endpoint, timeoutMs))) return false;
  const m = method('etcdserverpb.Maintenance', 'Status');
  const c = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  return new Promise<boolean>((resolve) => {
    c.makeUnaryRequest<object, Record<string, unknown>>(
      m.path,
      m.requestSerialize,
      (b: Buffer) => m.responseDeserialize(b) as Record<string, unknown>,
      {},
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (e, r) =>
        resolve(
          (e === null && r !== undefined && r.leader !== '0' && r.leader !== undefined) || e?.details === 'etcdserver: user name is empty',
        ),
    );
  }).finally(() => c.close());
}

/** True when a TCP connection to host:port is accepted (it is closed at once). */
function accepts(endpoint: string, timeoutMs: number): Promise<boolean> {
  const i = endpoint.lastIndexOf(':');
  return new Promise((resolve) => {
    const sock = net.connect({ host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) });
    sock.setTimeout(timeoutMs, () => sock.destroy());
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => undefined); // 'close' follows
    sock.once('close', () => resolve(false));
  });
}

/** True when GET /health on the client URL answers 200 {"health":"true"}. */
export function healthy(clientUrl: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** The etcd flags for a single member on the given loopback ports. */
export function memberArgs(name: string, dataDir: string, clientPort: number, peerPort: number): string[] {
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  return [
    '--name',
    name,
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    clientUrl,
    '--advertise-client-urls',
    clientUrl,
    '--listen-peer-urls',
    peerUrl,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    `${name}=${peerUrl}`,
  ];
}

/**
 * Runs `bin/etcd-ts` with `args` to completion (for processes expected to exit, e.g. a bad data
 * dir). Kills it with SIGKILL after timeoutMs; `timedOut` says so.
 */
export async function runEtcdTs(
  args: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal; cwd?: string } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }> {
  const child = spawn(process.execPath, etcdTsArgv(args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    env: cleanEnv(opts.env),
    ...(opts.signal !== undefined ? { signal: opts.signal, killSignal: 'SIGKILL' as const } : {}),
  });
  live.add(child);
  try {
    const { code, signal, stdout, stderr, timedOut } = await waitForChild(child, opts.timeoutMs ?? 20_000);
    return { code, signal, stdout, stderr, timedOut };
  } finally {
    live.delete(child);
  }
}

export async function startProcessMember(opts: ProcessMemberOptions = {}): Promise<ProcessMember> {
  const name = opts.name ?? 'default';
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-proc-'));
  const clientPort = opts.clientPort ?? (await freePort());
  const peerPort = opts.peerPort ?? (await freePort());
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const args = [...memberArgs(name, dataDir, clientPort, peerPort), ...(opts.extraArgs ?? [])];
  const [file, argv] = opts.binary !== undefined ? [opts.binary, args] : [process.execPath, etcdTsArgv(args)];
  const child = spawn(file, argv, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: cleanEnv(opts.env),
  });
  live.add(child);
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    log += d;
    if (log.length > 256 * 1024) log = log.slice(-128 * 1024);
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(child);
      resolve(exitInfo);
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> => {
    if (exitInfo === undefined) child.kill(signal);
    return (await exited).code;
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (exitInfo === undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    }
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  let failure: string | undefined;
  void spawnError.then((e) => (failure = `spawn failed: ${e.message}`));
  for (;;) {
    if (failure !== undefined) break;
    if (exitInfo !== undefined) {
      failure = `etcd-ts exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`;
      break;
    }
    if (await statusReady(`127.0.0.1:${clientPort}`)) break;
    if (Date.now() > deadline) {
      failure = `etcd-ts did not become healthy at ${clientUrl} in time`;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (failure !== undefined) {
    await kill('SIGKILL');
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${failure}\nargs: ${args.join(' ')}\nstderr:\n${log}`);
  }

  return {
    name,
    clientUrl,
    endpoint: `127.0.0.1:${clientPort}`,
    dataDir,
    pid: child.pid!,
    clientPort,
    peerPort,
    kill,
    stop,
    stderr: () => log,
    exited,
  };
}
