/**
 * `BENCH_SCALE=1 npm run bench` (issue 14): a large key space, real etcd 3.6 and etcd-ts one after
 * the other in the same run, each on a fresh data dir with the same flags:
 *
 * 1. load: BENCH_SCALE_KEYS keys (default 1,000,000) `/scale/%010d` of BENCH_SCALE_VALUE bytes
 *    (default 256), each written once, by 64 concurrent clientv3 writers (test/go/cmd/scalewriter);
 *    writes/s and the server's CPU seconds during the load;
 * 2. memory and disk: the server's RSS (VmRSS from /proc/<pid>/status) is sampled every 50 ms over
 *    the whole scenario: peak during the load, settled (5 s after the load), and the data dir's size
 *    (du) at that point;
 * 3. ranges (test/go/cmd/scalereader, linearizable, the client's max receive size raised): a
 *    count-only Range of the prefix, the first page of 1,000 keys, and every key and value in one
 *    Range (about 300 MB for 1 M x 256 B), with the server's peak RSS during that listing; counts
 *    are checked against N;
 * 4. restart: SIGTERM, wait for the exit, start again on the same data dir and ports; the time from
 *    the spawn until a linearizable Range (of /scale/0000000000, with a fresh grpc-js channel per
 *    attempt) answers, the RSS at that moment and the peak until then; then a count-only Range
 *    checks that all N keys came back.
 *
 * Both servers are started by test/helpers/process-member.ts (etcd with `binary` =
 * .tools/bin/etcd): startRealEtcd's stop() kills with SIGKILL and deletes the data dir, which the
 * restart step cannot use. Flags: the helper's single-member flags plus --quota-backend-bytes=8 GiB
 * and --log-level=warn.
 *
 * Prints a markdown table (etcd 3.6, etcd-ts, etcd-ts / etcd). With --out DIR (run.sh passes its
 * BENCH_OUT directory; else BENCH_OUT if set) it writes DIR/scale.jsonl (one JSON object per
 * target), DIR/scale.md (the table), DIR/scale-rss.tsv (every RSS sample: target, seconds, phase,
 * MB) and DIR/scale-<target>.server.log (the server's stderr, last 256 KiB of each life).
 *
 * Usage: node dist/test/bench/scale-bench.js [--keys 1000000] [--value 256] [--out DIR]
 *          [--targets "etcd etcd-ts"] [--concurrency 64] [--settle 5]
 * BENCH_SCALE_LIST=0 skips the full listing (for stores above gRPC's 2 GiB message limit, e.g. the
 * 4 GB run: BENCH_TARGETS=etcd-ts BENCH_SCALE_KEYS=4000000 BENCH_SCALE_VALUE=1024 BENCH_SCALE_LIST=0).
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { method } from '../../src/server/wire/protos';
import { startProcessMember, type ProcessMember, type ProcessMemberOptions } from '../helpers/process-member';
import { toolPath, waitForChild } from '../helpers/tools';

const SERVER_FLAGS = ['--quota-backend-bytes=8589934592', '--log-level=warn'];
const SAMPLE_MS = 50;
const PREFIX = '/scale/';

interface Result {
  target: string;
  keys: number;
  valueBytes: number;
  loadSec?: number;
  writesPerSec?: number;
  loadRetries?: number;
  loadCpuSec?: number;
  peakRssLoadMB?: number;
  settledRssMB?: number;
  dataDirMB?: number;
  /** `du -k --max-depth=2` of the data dir after the load: relative path -> MB. */
  dataDirBreakdown?: Record<string, number>;
  countMs?: number;
  firstPageMs?: number;
  fullListMs?: number;
  fullListMB?: number;
  peakRssListMB?: number;
  stopSec?: number;
  /** The first life ended by SIGKILL (no exit within the helper's 15 s after SIGTERM). */
  stopKilled?: boolean;
  restartReadySec?: number;
  rssAfterRestartMB?: number;
  peakRssRestartMB?: number;
  countAfterRestartMs?: number;
  errors: string[];
}

function arg(name: string, env: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  return process.env[env] ?? def;
}

function rssMB(pid: number): number {
  if (pid <= 0) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

let clkTck = 0;
/** utime + stime of a process in seconds (0 if it is gone). */
function cpuSec(pid: number): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / clkTck;
  } catch {
    return 0;
  }
}

/** The pid of the process whose command line holds `dataDir` as an argument (the server), or 0. */
function pidByDataDir(dataDir: string): number {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (argv.includes(dataDir) || argv.includes(`--data-dir=${dataDir}`)) return Number(d);
    } catch {
      /* gone */
    }
  }
  return 0;
}

/**
 * Samples the server's RSS every SAMPLE_MS for the whole scenario. The pid is set when known;
 * while it is 0 (between the two lives) the sampler looks the server up by its data dir. Every
 * sample counts towards the peak of the current phase.
 */
class RssSampler {
  pid = 0;
  private phase = 'start';
  private readonly peaks = new Map<string, number>();
  readonly rows: string[] = [];
  private readonly t0 = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly target: string,
    private readonly dataDir: string,
  ) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  sample(): number {
    if (this.pid === 0 || !fs.existsSync(`/proc/${this.pid}`)) this.pid = pidByDataDir(this.dataDir);
    const mb = rssMB(this.pid);
    this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, mb));
    this.rows.push(`${this.target}\t${((performance.now() - this.t0) / 1000).toFixed(3)}\t${this.phase}\t${mb.toFixed(1)}`);
    return mb;
  }

  /** Starts a phase (with a sample at its boundary); returns the sample. */
  enter(phase: string): number {
    this.phase = phase;
    return this.sample();
  }

  peak(phase: string): number {
    return this.peaks.get(phase) ?? 0;
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/**
 * Runs a Go program from .tools/bin with ETCD_ENDPOINTS; its progress lines (stderr lines starting
 * with `<name>:`) are echoed to our stderr. Returns the last stdout line parsed as JSON.
 */
async function runTool(
  name: string,
  args: string[],
  endpoint: string,
  timeoutMs: number,
): Promise<{ code: number | null; json: Record<string, unknown> | undefined; stderr: string }> {
  const child = spawn(toolPath(name), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ETCD_ENDPOINTS: endpoint },
  });
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    for (const l of lines) if (l.startsWith(`${name}:`)) process.stderr.write(`  ${l}\n`);
  });
  const r = await waitForChild(child, timeoutMs);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(last) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { code: r.timedOut ? null : r.code, json, stderr: r.stderr };
}

function lastLines(s: string, n = 10): string {
  return s.trim().split('\n').slice(-n).join('\n');
}

/** Resolves with performance.now() once a linearizable Range of `key` answers with one kv. */
async function readyAt(endpoint: string, key: string, giveUp: () => boolean, timeoutMs: number): Promise<number> {
  const m = method('etcdserverpb.KV', 'Range');
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (!giveUp()) {
    if (Date.now() > deadline) throw new Error(`no linearizable Range answered in ${timeoutMs / 1000} s: ${last}`);
    // A fresh channel with its own subchannel each time: a shared one would sit in reconnect
    // backoff (up to minutes) after the refused connections of the restart and answer late.
    const c = new grpc.Client(endpoint, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const ok = await new Promise<boolean>((resolve) =>
      c.makeUnaryRequest<object, { kvs?: unknown[] }>(
        m.path,
        m.requestSerialize,
        (b: Buffer) => m.responseDeserialize(b) as { kvs?: unknown[] },
        { key: Buffer.from(key) },
        new grpc.Metadata(),
        { deadline: Date.now() + 5000 },
        (e, r) => {
          if (e) last = e.message;
          else if (r?.kvs?.length !== 1) last = `Range of ${key} answered ${r?.kvs?.length ?? 0} kvs`;
          resolve(e === null && r?.kvs?.length === 1);
        },
      ),
    );
    const t = performance.now();
    c.close();
    if (ok) return t;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('server start failed');
}

function du(dir: string): { mb: number; breakdown: Record<string, number> } {
  const out = execFileSync('du', ['-k', '--max-depth=2', dir], { encoding: 'utf8' });
  const breakdown: Record<string, number> = {};
  let mb = 0;
  for (const line of out.trim().split('\n')) {
    const [kb, p] = line.split('\t') as [string, string];
    const rel = path.relative(dir, p) || '.';
    breakdown[rel] = Number(kb) / 1024;
    if (rel === '.') mb = Number(kb) / 1024;
  }
  return { mb, breakdown };
}

function startServer(target: string, opts: ProcessMemberOptions): Promise<ProcessMember> {
  return startProcessMember({
    ...opts,
    extraArgs: SERVER_FLAGS,
    startTimeoutMs: 30 * 60_000,
    ...(target === 'etcd' ? { binary: toolPath('etcd') } : {}),
  });
}

async function measure(target: string, keys: number, value: number, concurrency: number, settleSec: number, out: string | undefined) {
  const r: Result = { target, keys, valueBytes: value, errors: [] };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `scale-bench-${target}-`));
  const sampler = new RssSampler(target, dataDir);
  const logs: string[] = [];
  let m: ProcessMember | undefined;
  let restarting: Promise<ProcessMember> | undefined;
  const log = (s: string) => process.stderr.write(`scale: ${target}: ${s}\n`);
  try {
    m = await startServer(target, { dataDir });
    sampler.pid = m.pid;
    const endpoint = m.endpoint;

    // 1. load
    log(`loading ${keys} keys of ${value} bytes (${concurrency} writers)`);
    sampler.enter('load');
    const cpu0 = cpuSec(m.pid);
    const w = await runTool(
      'scalewriter',
      ['-keys', String(keys), '-value', String(value), '-concurrency', String(concurrency), '-prefix', PREFIX],
      endpoint,
      4 * 3600_000,
    );
    r.loadCpuSec = cpuSec(m.pid) - cpu0;
    r.peakRssLoadMB = Math.max(sampler.peak('load'), sampler.sample());
    if (w.code !== 0 || w.json === undefined) throw new Error(`scalewriter exited ${w.code}:\n${lastLines(w.stderr)}`);
    r.loadSec = Number(w.json.seconds);
    r.writesPerSec = Number(w.json.writes_per_s);
    r.loadRetries = Number(w.json.retries);

    // 2. settle, RSS and data dir
    sampler.enter('settle');
    await new Promise((res) => setTimeout(res, settleSec * 1000));
    r.settledRssMB = sampler.sample();
    const d = du(dataDir);
    r.dataDirMB = d.mb;
    r.dataDirBreakdown = d.breakdown;
    log(`loaded in ${r.loadSec.toFixed(1)} s (${r.writesPerSec.toFixed(0)} writes/s); RSS settled ${r.settledRssMB.toFixed(0)} MB`);

    // 3. ranges
    const range = async (op: string): Promise<Record<string, unknown> | undefined> => {
      sampler.enter(`range-${op}`);
      const res = await runTool(
        'scalereader',
        ['-op', op, '-prefix', PREFIX, '-expect', String(keys), '-timeout', '30m'],
        endpoint,
        35 * 60_000,
      );
      sampler.sample();
      if (res.code !== 0 || res.json === undefined || res.json.ok !== true) {
        const why = res.json?.error ?? lastLines(res.stderr, 3);
        r.errors.push(`range ${op}: ${String(why)}`);
        log(`range ${op} failed: ${String(why)}`);
      }
      return res.json;
    };
    const c = await range('count');
    if (c?.ms !== undefined) r.countMs = Number(c.ms);
    const f = await range('first');
    if (f?.ms !== undefined) r.firstPageMs = Number(f.ms);
    // BENCH_SCALE_LIST=0 skips the one-Range listing (a store above gRPC's 2 GiB message limit).
    if (process.env.BENCH_SCALE_LIST !== '0') {
      const a = await range('all');
      if (a?.ms !== undefined) r.fullListMs = Number(a.ms);
      if (a?.response_bytes !== undefined) r.fullListMB = Number(a.response_bytes) / 1024 / 1024;
      r.peakRssListMB = sampler.peak('range-all');
    }
    sampler.enter('idle');

    // 4. restart on the same data dir and ports
    const { clientPort, peerPort } = m;
    sampler.enter('stop');
    const s0 = performance.now();
    await m.stop();
    r.stopSec = (performance.now() - s0) / 1000;
    r.stopKilled = (await m.exited).signal === 'SIGKILL';
    logs.push(m.stderr());
    m = undefined;
    sampler.pid = 0;
    sampler.enter('restart');
    let failed = false;
    const t0 = performance.now();
    const starting = startServer(target, { dataDir, clientPort, peerPort }).catch((e: unknown) => {
      failed = true;
      throw e;
    });
    const ready = readyAt(endpoint, `${PREFIX}${'0'.repeat(10)}`, () => failed, 30 * 60_000);
    // Whichever rejects second must not be an unhandled rejection.
    for (const p of [starting, ready]) p.catch(() => undefined);
    restarting = starting;
    const [m2, tReady] = await Promise.all([starting, ready]);
    m = m2;
    r.restartReadySec = (tReady - t0) / 1000;
    sampler.pid = m.pid;
    r.rssAfterRestartMB = sampler.sample();
    r.peakRssRestartMB = Math.max(sampler.peak('restart'), r.rssAfterRestartMB);
    log(`restart to ready ${r.restartReadySec.toFixed(2)} s`);
    sampler.enter('after-restart');
    const c2 = await range('count');
    if (c2?.ms !== undefined) r.countAfterRestartMs = Number(c2.ms);
  } catch (e) {
    r.errors.push(e instanceof Error ? e.message : String(e));
    log(`failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    sampler.close();
    if (m === undefined && restarting !== undefined) m = await restarting.catch(() => undefined);
    if (m !== undefined) {
      await m.stop();
      logs.push(m.stderr());
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (out !== undefined) {
      fs.appendFileSync(path.join(out, 'scale.jsonl'), JSON.stringify(r) + '\n');
      fs.appendFileSync(path.join(out, 'scale-rss.tsv'), sampler.rows.join('\n') + '\n');
      fs.writeFileSync(path.join(out, `scale-${target}.server.log`), logs.join('\n==== restart ====\n'));
    }
  }
  return r;
}

function fmt(v: number | undefined, d: number): string {
  return v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d);
}

async function main(): Promise<void> {
  const keys = Number(arg('keys', 'BENCH_SCALE_KEYS', '1000000'));
  const value = Number(arg('value', 'BENCH_SCALE_VALUE', '256'));
  const concurrency = Number(arg('concurrency', 'BENCH_SCALE_CONCURRENCY', '64'));
  const settle = Number(arg('settle', 'BENCH_SCALE_SETTLE_S', '5'));
  const targets = arg('targets', 'BENCH_TARGETS', 'etcd etcd-ts').split(/\s+/).filter(Boolean);
  const outArg = arg('out', 'BENCH_OUT', '');
  const out = outArg === '' ? undefined : outArg;
  for (const [n, v] of [
    ['keys', keys],
    ['value', value],
    ['concurrency', concurrency],
  ] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${n} must be a positive integer (got ${v})`);
  for (const t of targets) if (t !== 'etcd' && t !== 'etcd-ts') throw new Error(`unknown target ${t} (etcd etcd-ts)`);
  if (out !== undefined) {
    fs.mkdirSync(out, { recursive: true });
    for (const f of ['scale.jsonl', 'scale-rss.tsv']) fs.rmSync(path.join(out, f), { force: true });
  }

  const results = new Map<string, Result>();
  for (const t of targets) results.set(t, await measure(t, keys, value, concurrency, settle, out));
  const e = results.get('etcd');
  const o = results.get('etcd-ts');
  const rows: [string, (r: Result) => number | undefined, number][] = [
    ['load (s)', (r) => r.loadSec, 1],
    ['load (writes/s)', (r) => r.writesPerSec, 0],
    ['server CPU during load (s)', (r) => r.loadCpuSec, 1],
    ['peak RSS during load (MB)', (r) => r.peakRssLoadMB, 0],
    [`settled RSS, ${settle} s after load (MB)`, (r) => r.settledRssMB, 0],
    ['data dir after load (MB)', (r) => r.dataDirMB, 0],
    ['count-only range (ms)', (r) => r.countMs, 1],
    ['first page, limit 1000 (ms)', (r) => r.firstPageMs, 1],
    ['full listing, one Range (ms)', (r) => r.fullListMs, 0],
    ['full listing response (MB)', (r) => r.fullListMB, 0],
    ['peak RSS during full listing (MB)', (r) => r.peakRssListMB, 0],
    ['stop, SIGTERM to exit (s)', (r) => r.stopSec, 2],
    ['restart to ready, linearizable range (s)', (r) => r.restartReadySec, 2],
    ['RSS when ready after restart (MB)', (r) => r.rssAfterRestartMB, 0],
    ['peak RSS during restart (MB)', (r) => r.peakRssRestartMB, 0],
    ['count-only range after restart (ms)', (r) => r.countAfterRestartMs, 1],
  ];
  const lines: string[] = [];
  lines.push(
    `Markdown (scale: ${keys} keys of ${value} B by ${concurrency} clientv3 writers, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}):`,
  );
  lines.push('');
  lines.push('| metric | etcd 3.6 | etcd-ts | etcd-ts / etcd |');
  lines.push('|---|---:|---:|---:|');
  for (const [name, f, d] of rows) {
    const a = e ? f(e) : undefined;
    const b = o ? f(o) : undefined;
    const ratio = a !== undefined && b !== undefined ? (b / Math.max(a, 1e-9)).toFixed(2) : '-';
    lines.push(`| ${name} | ${fmt(a, d)} | ${fmt(b, d)} | ${ratio} |`);
  }
  lines.push('');
  for (const r of results.values()) {
    const notes = [`load retries ${r.loadRetries ?? '-'}`];
    if (r.stopKilled) notes.push('first life killed with SIGKILL (no exit 15 s after SIGTERM)');
    if (r.dataDirBreakdown !== undefined)
      notes.push(
        'data dir ' +
          Object.entries(r.dataDirBreakdown)
            .filter(([p]) => p !== '.')
            .map(([p, mb]) => `${p} ${mb.toFixed(0)} MB`)
            .join(', '),
      );
    lines.push(`(${r.target}: ${notes.join('; ')}${r.errors.length > 0 ? `; ERRORS: ${r.errors.join(' | ')}` : ''})`);
  }
  console.log(lines.join('\n'));
  if (out !== undefined) fs.writeFileSync(path.join(out, 'scale.md'), lines.join('\n') + '\n');
  if ([...results.values()].some((r) => r.errors.length > 0)) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
