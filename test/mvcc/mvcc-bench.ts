/**
 * Micro-benchmark of the store over MemoryEngine (not a test). Prints puts/s, gets/s and more.
 *   node dist/test/mvcc/mvcc-bench.js [keys=100000] [valueBytes=256]
 */
import { MemoryEngine, MvccStore } from '../../src/mvcc';

const N = Number(process.argv[2] ?? 100_000);
const VSIZE = Number(process.argv[3] ?? 256);

function rate(label: string, n: number, fn: (i: number) => void): void {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(34)} ${Math.round(n / secs)
      .toLocaleString('en-US')
      .padStart(12)} ops/s  (${((secs * 1e6) / n).toFixed(2)} us/op)`,
  );
}

const keys = Array.from({ length: N }, (_, i) => Buffer.from(`/registry/pods/default/pod-${String(i).padStart(8, '0')}`));
const value = Buffer.alloc(VSIZE, 0x61);
const store = new MvccStore(new MemoryEngine());

console.log(`mvcc bench: ${N} keys, ${VSIZE}-byte values, node ${process.version}`);
rate('put (new keys)', N, (i) => store.put({ key: keys[i]!, value }));
rate('put (overwrite, random key)', N, () => store.put({ key: keys[(Math.random() * N) | 0]!, value }));
rate('range point get (current rev)', N, () => store.range({ key: keys[(Math.random() * N) | 0]! }));
const old = Math.max(2, store.currentRevision - N);
rate('range point get (past rev)', N, () =>
  store.range({ key: keys[(Math.random() * N) | 0]!, revision: old + ((Math.random() * N) | 0) }),
);
rate('range prefix limit 10', N / 10, (i) =>
  store.range({ key: keys[i]!, range_end: Buffer.from('/registry/pods0'), limit: 10, count_only: false }),
);
rate('txn compare+put', N / 2, (i) =>
  store.txn({
    compare: [{ key: keys[i]!, target: 'VERSION', result: 'GREATER', version: 0 }],
    success: [{ request_put: { key: keys[i]!, value } }],
  }),
);
const t0 = process.hrtime.bigint();
store.compact(store.currentRevision - 1);
console.log(`compact (${N} keys)                 ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);
const t1 = process.hrtime.bigint();
store.hashKV(0);
console.log(`hashKV                             ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(1)} ms`);
console.log(
  `heap used: ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`,
);
