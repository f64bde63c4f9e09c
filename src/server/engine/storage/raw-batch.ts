/**
 * Writes a batch of ready-made operations (utf8 string keys, Uint8Array values) through
 * classic-level's implementation API, skipping abstract-level's per-operation work in
 * `db.batch()` (option merging, encoding lookups, validation, hooks and events): about 9 µs per
 * operation here, 13% of the member's busy time under `etcdctl check perf` and ~90 ms of revoking
 * a lease with 10,000 keys. For this database the bytes written are the same: keys are utf8
 * strings and values buffers, both native to classic-level (abstract-level passes them through
 * unchanged), and there are no sublevels, prewrite hooks or 'write' listeners.
 *
 * The ops go into one native batch per database, kept and cleared between writes (classic-level's
 * chained batch: `_chainedBatch()`, then its `_clear`, `_put`, `_del` and `_write`), one binding
 * call per op with the key and value as arguments. classic-level's `_batch` over an op array reads
 * `type`, `key` and `value` of each op by name from native code (the record ops' accessors
 * included): 2.3-2.5 against 1.5-1.9 µs an op measured alone (24-op batches of revision records
 * and headers). While that batch is being written (a second caller, not the Ready loop's chain)
 * and for a database whose batch cannot be had, `_batch` is used.
 *
 * The one place that relies on classic-level's implementation API (test/storage/raw-batch.test.ts
 * fails when it changes); when it is missing, or the database is not open (so that the caller
 * gets abstract-level's error), `db.batch` is used, with the ops copied as plain objects. Every
 * batch of the engine's ops goes through here.
 */
import type { BatchOp } from './level-engine';
import type { Db } from './member-db';

/** classic-level's chained batch, by its implementation API. */
interface NativeBatch {
  _put(key: string, value: Uint8Array): void;
  _del(key: string): void;
  _clear(): void;
  _write(options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}

type WithPrivateBatch = {
  _batch?: (ops: BatchOp[], options: { sync: boolean }) => Promise<void>;
  _chainedBatch?: () => NativeBatch;
  status: string;
  once(event: 'closing', fn: () => void): void;
};

/**
 * A batch written with more bytes than this is not kept: LevelDB's batch keeps the capacity of
 * its largest contents (WriteBatch::Clear keeps its string), so one large write would hold that
 * much memory for the database's lifetime.
 */
const KEEP_BYTES = 4 * 1024 * 1024;

interface Kept {
  batch: NativeBatch;
  busy: boolean;
}

/**
 * Each open database's kept batch, or null when it has none of the expected shape (asked once);
 * forgotten when the database closes (which closes the batch).
 */
const kept = new WeakMap<Db, Kept | null>();

function keptBatch(db: Db, d: WithPrivateBatch): Kept | undefined {
  const known = kept.get(db);
  if (known !== undefined) return known ?? undefined;
  const batch = newNativeBatch(d);
  const k = batch !== undefined ? { batch, busy: false } : null;
  kept.set(db, k);
  d.once('closing', () => kept.delete(db));
  return k ?? undefined;
}

function newNativeBatch(d: WithPrivateBatch): NativeBatch | undefined {
  const batch: unknown = typeof d._chainedBatch === 'function' ? d._chainedBatch() : undefined;
  return isNativeBatch(batch) ? batch : undefined;
}

function isNativeBatch(b: unknown): b is NativeBatch {
  if (typeof b !== 'object' || b === null) return false;
  const n = b as Partial<Record<keyof NativeBatch, unknown>>;
  return ['_put', '_del', '_clear', '_write', 'close'].every((m) => typeof n[m as keyof NativeBatch] === 'function');
}

export function rawBatch(db: Db, ops: BatchOp[], sync: boolean): Promise<void> {
  const d = db as unknown as WithPrivateBatch;
  if (typeof d._batch !== 'function' || d.status !== 'open' || ops.length === 0) return db.batch(plainOps(ops) as never, { sync });
  const k = keptBatch(db, d);
  if (k === undefined || k.busy) return d._batch(ops, { sync });
  return writeKept(db, d, k, ops, sync);
}

async function writeKept(db: Db, d: WithPrivateBatch, k: Kept, ops: BatchOp[], sync: boolean): Promise<void> {
  const b = k.batch;
  k.busy = true;
  let bytes = 0;
  try {
    b._clear();
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const key = op.key;
      bytes += key.length;
      if (op.type === 'put') {
        const value = op.value;
        bytes += value.byteLength;
        b._put(key, value);
      } else b._del(key);
    }
    await b._write({ sync });
  } finally {
    k.busy = false;
    if (bytes > KEEP_BYTES && kept.get(db) === k) {
      // A fresh batch in its place (the database's 'closing' listener stays the one it has).
      const fresh = d.status === 'open' ? newNativeBatch(d) : undefined;
      if (fresh !== undefined) k.batch = fresh;
      else kept.delete(db);
      b.close().catch(() => undefined); // abstract-level's close of a batch: status and resource only
    }
  }
}

/**
 * The ops as plain objects: the engine's record ops make their key and value in accessors
 * (level-engine.ts), which abstract-level's `db.batch` would lose (it copies each op with an
 * object spread, which keeps own properties only).
 */
export function plainOps(ops: readonly BatchOp[]): BatchOp[] {
  return ops.map((op) => (op.type === 'put' ? { type: 'put', key: op.key, value: op.value } : { type: 'del', key: op.key }));
}

/** Whether `db`'s batches go into its kept native batch (classic-level's implementation API as this file expects it). */
export function keptBatchApplies(db: Db): boolean {
  const d = db as unknown as WithPrivateBatch;
  return d.status === 'open' && typeof d._batch === 'function' && keptBatch(db, d) !== undefined;
}

/** Whether `db` takes the direct path (utf8 keys, buffer values, classic-level's `_batch`). */
export function rawBatchApplies(db: Db): boolean {
  const d = db as unknown as WithPrivateBatch & { keyEncoding(): { name: string }; valueEncoding(): { name: string } };
  return typeof d._batch === 'function' && d.keyEncoding().name === 'utf8' && d.valueEncoding().name === 'buffer';
}
