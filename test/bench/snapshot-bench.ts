/**
 * `BENCH_SNAPSHOT=1 npm run bench`: `etcdctl snapshot save` of a large store, real etcd 3.6 and
 * etcd-ts one after the other in the same run. Each target starts fresh, is loaded with
 * BENCH_SNAPSHOT_MB megabytes (default 1024) of 8 KiB values by 32 concurrent grpc-js writers,
 * then `etcdctl snapshot save` runs while one client keeps putting small values one after
 * another. Printed per target and as ratios (etcd-ts / etcd): load time, snapshot save seconds,
 * file size, the server's peak RSS during the save (sampled every 50 ms from /proc), and the
 * p50/p99/max latency of the puts made while the snapshot streamed.
 *
 * Usage: node dist/test/bench/snapshot-bench.js [--mb 1024]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { method } from '../../src/server/wire/protos';
import { startRealEtcd } from '../helpers/real-etcd';
import { startProcessMember } from '../helpers/process-member';
import type { RunningMember } from '../helpers/running-member';
import { runEtcdctl } from '../helpers/tools';

const VALUE = 8 * 1024;
const WRITERS = 32;

interface Result {
  target: string;
  loadSec: number;
  saveSec: number;
  fileMB: number;
  /** The server's RSS just before the save (the store it holds). */
  rssBeforeMB: number;
  peakRssMB: number;
  p50: number;
  p99: number;
  max: number;
  puts: number;
  /** Puts that failed during the save (e.g. timed out while the member paused). */
  failed: number;
}

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function pidOf(m: RunningMember): number {
  const p = (m as unknown as { pid?: number }).pid;
  if (p !== undefined) return p;
  const port = m.endpoint.split(':')[1]!;
  // The real etcd helper does not expose its pid: find the process listening on the port.
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(`127.0.0.1:${port}`) && cmd.includes('etcd')) return Number(d);
    } catch {
      /* gone */
    }
  }
  throw new Error(`no pid for ${m.endpoint}`);
}

function putter(endpoint: string): (key: string, value: Buffer) => Promise<void> {
  const m = method('etcdserverpb.KV', 'Put');
  const c = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  return (key, value) =>
    new Promise((resolve, reject) =>
      c.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, { key: Buffer.from(key), value }, (e) =>
        e ? reject(e) : resolve(),
      ),
    );
}

async function load(endpoint: string, mb: number): Promise<number> {
  const n = Math.ceil((mb * 1024 * 1024) / VALUE);
  const value = Buffer.alloc(VALUE, 'x');
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const put = putter(endpoint);
      for (let i = next++; i < n; i = next++) {
        // A loaded 2-core machine may time a request out: retry it, the load is not what is measured.
        for (let attempt = 0; ; attempt++) {
          try {
            await put(`/bench/${String(i).padStart(9, '0')}`, value);
            break;
          } catch (e) {
            if (attempt >= 5) throw e;
          }
        }
      }
    }),
  );
  return (performance.now() - t0) / 1000;
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function measure(target: string, m: RunningMember, mb: number): Promise<Result> {
  const loadSec = await load(m.endpoint, mb);
  const pid = pidOf(m);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'snap-bench-')), 'snap.db');
  const rssBeforeMB = rssMB(pid);
  let peak = rssBeforeMB;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMB(pid))), 50);
  const put = putter(m.endpoint);
  const lat: number[] = [];
  let failed = 0;
  let saving = true;
  const prober = (async () => {
    for (let i = 0; saving; i++) {
      const t = performance.now();
      try {
        await put(`/probe/${i % 100}`, Buffer.from('p'));
      } catch {
        failed++;
      }
      lat.push(performance.now() - t);
    }
  })();
  const t0 = performance.now();
  const r = await runEtcdctl(m.endpoint, ['snapshot', 'save', file], { timeoutMs: 600_000 });
  const saveSec = (performance.now() - t0) / 1000;
  saving = false;
  await prober;
  clearInterval(sampler);
  if (r.code !== 0) throw new Error(`${target}: snapshot save failed: ${r.stderr.slice(-500)}`);
  const fileMB = fs.statSync(file).size / 1024 / 1024;
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return {
    target,
    loadSec,
    saveSec,
    fileMB,
    rssBeforeMB,
    peakRssMB: peak,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    max: Math.max(0, ...lat),
    puts: lat.length,
    failed,
  };
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--mb');
  const mb = i >= 0 ? Number(process.argv[i + 1]) : Number(process.env.BENCH_SNAPSHOT_MB ?? 1024);
  const results: Result[] = [];
  const etcd = await startRealEtcd({ extraArgs: ['--quota-backend-bytes=8589934592', '--log-level=error'] });
  try {
    results.push(await measure('etcd 3.6', etcd, mb));
  } finally {
    await etcd.stop();
  }
  const ours = await startProcessMember({ extraArgs: ['--quota-backend-bytes=8589934592', '--log-level=warn'] });
  try {
    results.push(await measure('etcd-ts', ours, mb));
  } finally {
    await ours.stop();
  }
  const [e, o] = results as [Result, Result];
  const rows: [string, (r: Result) => number, number][] = [
    ['load (s)', (r) => r.loadSec, 1],
    ['snapshot save (s)', (r) => r.saveSec, 2],
    ['snapshot file (MB)', (r) => r.fileMB, 0],
    ['server RSS before the save (MB)', (r) => r.rssBeforeMB, 0],
    ['server peak RSS during save (MB)', (r) => r.peakRssMB, 0],
    ['put latency during save p50 (ms)', (r) => r.p50, 2],
    ['put latency during save p99 (ms)', (r) => r.p99, 1],
    ['put latency during save max (ms)', (r) => r.max, 1],
  ];
  console.log(`Markdown (snapshot save of ${mb} MB of 8 KiB values, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}):`);
  console.log('| metric | etcd 3.6 | etcd-ts | etcd-ts / etcd |');
  console.log('|---|---:|---:|---:|');
  for (const [name, f, d] of rows)
    console.log(`| ${name} | ${f(e).toFixed(d)} | ${f(o).toFixed(d)} | ${(f(o) / Math.max(f(e), 1e-9)).toFixed(2)} |`);
  console.log(`(puts during the save: etcd ${e.puts} (${e.failed} failed), etcd-ts ${o.puts} (${o.failed} failed))`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
