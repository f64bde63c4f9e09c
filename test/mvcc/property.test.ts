/**
 * Property test: random sequences of Range/Put/DeleteRange/deleteKeys/Txn/Compact/HashKV run on
 * the store and on the snapshot model; every response (or error kind) must match, and a store
 * restored from a copy of the engine must match the live one.
 *
 * Replay: FC_SEED=<seed> [FC_PATH=<path>] node --test dist/test/mvcc/property.test.js
 * Longer runs: FC_RUNS=<n> (default bounded to a few seconds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { EtcdError } from '../../src/errors';
import { MemoryEngine, MvccStore, validatePut, validateRange, validateTxn } from '../../src/mvcc';
import type { Compare, KeyValue, RangeRequest, RequestOp, TxnRequest } from '../../src/mvcc';
import { Model } from './model';

const KEYS = ['a', 'b', 'ba', 'c', 'a\x00', '\xff', '\x7f', 'd'].map((s) => Buffer.from(s, 'latin1'));
const LEASES = [0n, 1n, 2n, 3n]; // 3 does not exist
const EXISTING = new Set([1n, 2n]);

const key = fc.constantFrom(...KEYS);
const end = fc.oneof(fc.constant(undefined), fc.constant(Buffer.from([0])), key, fc.constant(Buffer.from([0xff, 0xff])));
const value = fc.constantFrom('', 'x', 'y', 'zz').map((s) => Buffer.from(s));
const rev = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 50 }) });
const small = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 }));

const rarely = fc.integer({ min: 0, max: 7 }).map((n) => n === 0);
const rangeReq: fc.Arbitrary<RangeRequest> = fc.record({
  key,
  range_end: end,
  limit: fc.oneof(fc.constant(0), fc.integer({ min: -1, max: 3 })),
  revision: rev,
  sort_order: fc.constantFrom('NONE', 'ASCEND', 'DESCEND'),
  sort_target: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
  keys_only: rarely,
  count_only: rarely,
  min_mod_revision: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: small }),
  max_mod_revision: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: small }),
  min_create_revision: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: small }),
  max_create_revision: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: small }),
}) as fc.Arbitrary<RangeRequest>;

const lease = fc.oneof({ weight: 3, arbitrary: fc.constant(0n) }, { weight: 2, arbitrary: fc.constantFrom(...LEASES) });
const putReq = fc
  .record({ key, value, lease, prev_kv: fc.boolean(), ignore_value: rarely, ignore_lease: rarely })
  .map((p) => ({ ...p, value: p.ignore_value ? Buffer.alloc(0) : p.value, lease: p.ignore_lease ? 0n : p.lease }));
const delReq = fc.record({ key, range_end: end, prev_kv: fc.boolean() });

const compare: fc.Arbitrary<Compare> = fc
  .record({
    key,
    range_end: end,
    result: fc.constantFrom('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
    target: fc.constantFrom('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
    n: fc.integer({ min: 0, max: 12 }),
    value,
  })
  .map(({ n, value: v, ...c }) => {
    const out = { ...c } as Compare;
    if (c.target === 'VALUE') out.value = v;
    else if (c.target === 'LEASE') out.lease = BigInt(n % 4);
    else if (c.target === 'VERSION') out.version = n % 4;
    else if (c.target === 'CREATE') out.create_revision = n;
    else out.mod_revision = n;
    return out;
  });

const leafOp: fc.Arbitrary<RequestOp> = fc.oneof(
  rangeReq.map((r) => ({ request: 'request_range' as const, request_range: r })),
  putReq.map((r) => ({ request: 'request_put' as const, request_put: r })),
  delReq.map((r) => ({ request: 'request_delete_range' as const, request_delete_range: r })),
);
const leafTxn: fc.Arbitrary<TxnRequest> = fc.record({
  compare: fc.array(compare, { maxLength: 2 }),
  success: fc.array(leafOp, { maxLength: 3 }),
  failure: fc.array(leafOp, { maxLength: 3 }),
});
const anyOp = fc.oneof(
  { weight: 4, arbitrary: leafOp },
  { weight: 1, arbitrary: leafTxn.map((t) => ({ request: 'request_txn' as const, request_txn: t })) },
);
const txnReq: fc.Arbitrary<TxnRequest> = fc.record({
  compare: fc.array(compare, { maxLength: 3 }),
  success: fc.array(anyOp, { maxLength: 4 }),
  failure: fc.array(anyOp, { maxLength: 4 }),
});

type Cmd =
  | { t: 'range'; r: RangeRequest }
  | { t: 'put'; r: ReturnType<typeof Object> }
  | { t: 'del'; r: { key: Buffer; range_end: Buffer | undefined; prev_kv: boolean } }
  | { t: 'delKeys'; keys: Buffer[] }
  | { t: 'txn'; r: TxnRequest }
  | { t: 'compact'; rev: number }
  | { t: 'hash'; rev: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: rangeReq.map((r) => ({ t: 'range' as const, r })) },
  { weight: 6, arbitrary: putReq.map((r) => ({ t: 'put' as const, r })) },
  { weight: 2, arbitrary: delReq.map((r) => ({ t: 'del' as const, r })) },
  { weight: 1, arbitrary: fc.array(key, { maxLength: 3 }).map((keys) => ({ t: 'delKeys' as const, keys })) },
  { weight: 4, arbitrary: txnReq.map((r) => ({ t: 'txn' as const, r })) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 50 }).map((rev) => ({ t: 'compact' as const, rev })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }).map((rev) => ({ t: 'hash' as const, rev })) },
);

/** Plain, comparable form of any response (Buffers -> latin1 strings, drop undefined). */
function norm(x: unknown): unknown {
  if (Buffer.isBuffer(x)) return x.toString('latin1');
  if (Array.isArray(x)) return x.map(norm);
  if (x !== null && typeof x === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) o[k] = norm(v);
    return o;
  }
  return x;
}

function outcome(fn: () => unknown): unknown {
  try {
    return { ok: norm(fn()) };
  } catch (e) {
    if (e instanceof EtcdError) return { err: e.kind };
    throw e;
  }
}

function allAt(store: { range(r: RangeRequest): { kvs: KeyValue[] } }, revision: number): unknown {
  return outcome(() => store.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision }));
}

/** Coverage counters, printed with MVCC_PROP_STATS=1. */
const stats: Record<string, number> = {};
const bump = (k: string): void => {
  stats[k] = (stats[k] ?? 0) + 1;
};

function runSequence(cmds: Cmd[]): void {
  const engine = new MemoryEngine();
  const store = new MvccStore(engine, { leaseExists: (id) => EXISTING.has(id) });
  const model = new Model(EXISTING);
  const written: { rev: number; type: string; kv: unknown; k: string }[] = [];
  const record = <R>(w: { response: R; events: import('../../src/mvcc').Event[] }): R => {
    // A write's events carry no prev_kv; prev_lease is the key's lease just before the change
    // (the model's state before this write for a key's first event, then the previous event's).
    const before = model.snaps[model.rev]!;
    const leaseNow = new Map<string, bigint | undefined>();
    for (const ev of w.events) {
      const k = ev.kv.key.toString('latin1');
      const expected = leaseNow.has(k) ? leaseNow.get(k) : before.get(k)?.lease;
      assert.equal(ev.prev_kv, undefined, 'a write event carries no prev_kv');
      assert.equal(ev.prev_lease, expected, `prev_lease of ${k}@${ev.kv.mod_revision}`);
      leaseNow.set(k, ev.type === 'PUT' ? ev.kv.lease : undefined);
      written.push({ rev: ev.kv.mod_revision, type: ev.type, kv: ev.kv, k });
    }
    return w.response;
  };
  for (const [i, c] of cmds.entries()) {
    let got: unknown;
    let want: unknown;
    switch (c.t) {
      case 'range':
        validateRange(c.r);
        got = outcome(() => store.range(c.r));
        want = outcome(() => model.range(c.r));
        break;
      case 'put':
        validatePut(c.r as never);
        got = outcome(() => record(store.put(c.r as never)));
        want = outcome(() => model.put(c.r as never));
        break;
      case 'del':
        got = outcome(() => record(store.deleteRange(c.r)));
        want = outcome(() => model.deleteRange(c.r));
        break;
      case 'delKeys':
        got = outcome(() => record(store.deleteKeys(c.keys)));
        want = outcome(() => model.deleteKeys(c.keys));
        break;
      case 'txn':
        try {
          validateTxn(c.r);
        } catch {
          bump('txn:invalid');
          continue; // the edge would have rejected it
        }
        got = outcome(() => record(store.txn(c.r)));
        want = outcome(() => model.txn(c.r));
        break;
      case 'compact':
        got = outcome(() => store.compact(c.rev));
        want = outcome(() => model.compact(c.rev));
        break;
      case 'hash': {
        got = outcome(() => {
          const h = store.hashKV(c.rev);
          return { c: h.compactRevision, r: h.hashRevision };
        });
        const mc = model.compactRev;
        const mr = model.rev;
        want =
          c.rev > 0 && c.rev < mc
            ? { err: 'Compacted' }
            : c.rev > mr
              ? { err: 'FutureRev' }
              : { ok: { c: mc, r: c.rev === 0 ? mr : c.rev } };
        break;
      }
    }
    const o = want as { ok?: { more?: boolean; succeeded?: boolean }; err?: string };
    bump(`${c.t}:${o.err ?? 'ok'}`);
    if (o.ok?.more === true) bump(`${c.t}:more`);
    if (o.ok?.succeeded === false) bump(`${c.t}:failure-branch`);
    if (!isDeepStrictEqual(got, want)) {
      assert.deepEqual(got, want, `command #${i} ${JSON.stringify(norm(c), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    }
    assert.equal(store.currentRevision, model.rev, `revision after command #${i}`);
    assert.equal(store.keyCount, model.snaps[model.rev]!.size, `keyCount after command #${i}`);
  }
  // every readable revision matches the model
  for (let r = Math.max(1, model.compactRev); r <= model.rev; r++)
    assert.deepEqual(
      allAt(store, r),
      outcome(() => model.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), revision: r })),
      `state at ${r}`,
    );
  // history read back from the engine equals the events the writes returned, with prev_kv the
  // key's value at revision-1 (the model's) where revision-1 is not compacted, like etcd's watch
  // server
  // (from compactRev+1: at the compact revision itself, like etcd, only one record per key is
  // kept, so a txn that put and deleted a key in that revision keeps only the delete)
  const from = Math.max(1, store.compactRevision + 1);
  const fromHistory = store.events(from).map((ev) => norm(ev));
  const expected = written
    .filter((w) => w.rev >= from)
    .map((w) => ({
      type: w.type,
      kv: w.kv,
      prev_kv: w.rev - 1 >= store.compactRevision ? model.snaps[w.rev - 1]!.get(w.k) : undefined,
    }))
    .map((e) => norm(e));
  assert.deepEqual(fromHistory, expected, 'events() history');
  // a store rebuilt from a copy of the engine is identical
  const copy = new MemoryEngine();
  for (const [k, v] of engine.scan('', '\uffff')) copy.put(k, v);
  const restored = new MvccStore(copy);
  assert.equal(restored.currentRevision, store.currentRevision);
  assert.equal(restored.compactRevision, store.compactRevision);
  assert.equal(restored.keyCount, store.keyCount);
  assert.deepEqual(restored.hashKV(0), store.hashKV(0));
  assert.deepEqual(
    restored.events(from).map((ev) => norm(ev)),
    fromHistory,
    'restored events() history',
  );
  for (let r = Math.max(1, model.compactRev); r <= model.rev; r++)
    assert.deepEqual(allAt(restored, r), allAt(store, r), `restored state at ${r}`);
}

test('store matches the snapshot model on random command sequences', (t) => {
  const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const numRuns = process.env.FC_RUNS !== undefined ? Number(process.env.FC_RUNS) : 500;
  t.diagnostic(`seed=${seed} runs=${numRuns} (replay: FC_SEED=${seed})`);
  const params: fc.Parameters<[Cmd[]]> = { seed, numRuns };
  if (process.env.FC_PATH !== undefined) params.path = process.env.FC_PATH;
  try {
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 80, size: 'max' }), (cmds) => runSequence(cmds)),
      params,
    );
  } catch (e) {
    console.error(`property test failed: replay with FC_SEED=${seed}`);
    if (e instanceof Error && e.cause !== undefined) console.error(e.cause);
    throw e;
  }
  if (process.env.MVCC_PROP_STATS !== undefined) console.log(stats);
});
