import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The repository root: the nearest ancestor of this file holding package.json. Works both from
 * test/helpers/tools.ts (ts-node style) and from dist/test/helpers/tools.js (compiled).
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`repoRoot: no package.json above ${__dirname}`);
    dir = parent;
  }
}

/** Path of a tool built by test/tools/install.sh (.tools/bin/<name>). Throws a clear error if missing. */
export function toolPath(name: string): string {
  const p = path.join(repoRoot(), '.tools', 'bin', name);
  if (!fs.existsSync(p)) {
    throw new Error(`${p} is missing: run test/tools/install.sh first`);
  }
  return p;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  cwd?: string;
  /** Replace (instead of extend) the inherited environment. */
  replaceEnv?: boolean;
}

/** What waitForChild saw of a child process. */
export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  /** The child was killed (SIGKILL) because it outlived the timeout. */
  timedOut: boolean;
}

/**
 * Collects a spawned child's piped stdout and stderr until it closes, killing it (SIGKILL) after
 * timeoutMs. Rejects on a spawn error, except an abort through spawn's `signal` option ('close'
 * follows that one).
 */
export function waitForChild(child: ChildProcess, timeoutMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let output = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      output += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      output += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      if (err.name === 'AbortError') return;
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output, timedOut });
    });
  });
}

/** A child's exit status as a shell reports it, roughly: 128 after a signal. */
function exitCode(r: ChildResult): number {
  return r.code ?? (r.signal ? 128 : 1);
}

const timeoutNote = (ms: number) => `\n[killed after ${ms} ms timeout]`;

/** Runs a program to completion, collecting its output. Kills it (SIGKILL) after timeoutMs. */
export async function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const child = spawn(file, args, {
    env: opts.replaceEnv ? { ...(opts.env ?? {}) } : { ...process.env, ...(opts.env ?? {}) },
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: opts.cwd,
  });
  const done = waitForChild(child, timeoutMs);
  child.stdin.on('error', () => {
    /* the child may exit before reading stdin */
  });
  child.stdin.end(opts.stdin ?? '');
  const r = await done;
  return { code: exitCode(r), stdout: r.stdout, stderr: r.stderr + (r.timedOut ? timeoutNote(timeoutMs) : '') };
}

/**
 * Runs `.tools/bin/etcdctl --endpoints=<endpoints> <args...>`. The ETCDCTL_* variables of the
 * caller's environment are dropped so they cannot change the command. (ETCDCTL_API is not set:
 * etcdctl 3.6 only speaks v3 and warns "unrecognized environment variable" on stderr if it is.)
 */
export function runEtcdctl(
  endpoints: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('ETCDCTL_')) env[k] = v;
  }
  Object.assign(env, opts.env ?? {});
  const cleaned: RunOptions = { env, replaceEnv: true, timeoutMs: opts.timeoutMs ?? 20_000 };
  if (opts.stdin !== undefined) cleaned.stdin = opts.stdin;
  return run(toolPath('etcdctl'), [`--endpoints=${endpoints}`, ...args], cleaned);
}

/**
 * Runs a compiled Go test binary (.tools/bin/<binary>, e.g. "kv.test") with -test.v and
 * ETCD_ENDPOINTS=<endpoints>. `output` is stdout and stderr, interleaved as they arrive.
 */
export async function runGoTest(
  binary: string,
  endpoints: string,
  args: string[] = [],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; output: string }> {
  const file = path.isAbsolute(binary) ? binary : toolPath(binary);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const child = spawn(file, ['-test.v', '-test.count=1', ...args], {
    env: { ...process.env, ...(opts.env ?? {}), ETCD_ENDPOINTS: endpoints },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r = await waitForChild(child, timeoutMs);
  return { code: exitCode(r), output: r.output + (r.timedOut ? timeoutNote(timeoutMs) : '') };
}

/** The lines worth showing when a Go test binary fails (runGoTest output): failures and their messages. */
export function goTestFailures(output: string): string {
  const lines = output.split('\n');
  const keep = lines.filter((l) => /^\s*(--- FAIL|FAIL|panic|\S+_test\.go:\d+:)/.test(l) || /^\s+\S+\.go:\d+: /.test(l));
  return (keep.length > 0 ? keep : lines.slice(-40)).join('\n');
}

/** stderr without etcdctl's/clientv3's zap JSON log lines (timestamps, local ports, retries). */
export function withoutClientLogs(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !l.startsWith('{"level":'))
    .join('\n');
}

/**
 * The `error` field of the line a server exits with when it refuses to start: etcd's (and
 * etcd-ts's) `fatal` line, or the `failed to verify flags` warning for a bad flag.
 */
export function startError(stderr: string): unknown {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o['level'] === 'fatal' || o['msg'] === 'failed to verify flags')?.['error'];
}
