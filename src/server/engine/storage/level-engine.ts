/**
 * The MVCC engine over LevelDB. Memory holds only what is small or must be fast:
 *
 * - the non-revision keys (leases, alarms, auth, the compact revision) in an ordered mirror;
 * - for revision records (`r/...`, the values): the list of revisions with their sizes
 *   ({@link RevisionList}), an overlay of the records written but not yet durable in LevelDB,
 *   and a bounded cache of records read back. Everything else is read with classic-level's
 *   synchronous `getSync`, so the store's reads stay synchronous.
 *
 * Writes are queued as LevelDB ops that the Ready loop drains into its next batch; each
 * revision record also writes its header (`mvcc-h/`, keys.ts) so boot can rebuild the key index
 * without reading values. {@link LevelEngine.settle} drops overlay entries once their batch
 * landed. Until then the Raft log (synced before apply) is what recovers them after a crash.
 */
import BTree from 'sorted-btree';
import type { Level } from 'level';
import { IndexLoader, type Engine } from '../../../mvcc';
import { DEFAULT_VALUE_CACHE_BYTES } from '../../config/config';
import { BulkReader } from './bulk-reader';
import { parseRevKey, revKey, revKeyLength, REV_END, REV_PREFIX } from '../../../mvcc/codec';
import { crc32c } from '../../../encoding/crc32c';
import { HEADER_PREFIX, MVCC_PREFIX } from './keys';
import { RevisionList } from './revision-list';
import { cacheKey, ValueCache } from './value-cache';
import { HeaderDel, HeaderPut, isRev, RecordDel, RecordPut, type BatchOp, type RecordOp } from './record-ops';
import { RecordOverlay } from './record-overlay';

/** The member's database (classic-level: getSync, iterators, explicit snapshots). */
type Db = Level<string, Buffer>;

export { headerValue, recordOps, splitLargeBatch, type BatchOp, type PutOp, type SplitBatch } from './record-ops';

/** A revision record read from disk does not match the crc32c written with it. */
export class CorruptRecordError extends Error {
  constructor(key: string) {
    super(`revision record ${key} read from LevelDB fails its checksum`);
    this.name = 'CorruptRecordError';
  }
}

export class LevelEngine implements Engine {
  private readonly mirror = new BTree<string, Uint8Array>();
  private readonly overlay = new RecordOverlay<RecordOp>();
  private readonly revs = new RevisionList();
  private readonly cache: ValueCache;
  private pending: BatchOp[] = [];
  private mirrorBytes = 0;
  private loader: IndexLoader | undefined;

  /** Told (once per bad read) when a record read from disk fails its checksum; the read throws. */
  onCorrupt: ((e: CorruptRecordError) => void) | undefined;

  constructor(
    private readonly db: Db,
    cacheBytes: number = DEFAULT_VALUE_CACHE_BYTES,
  ) {
    this.cache = new ValueCache(cacheBytes);
  }

  /**
   * Loads one stored header entry (the value of `mvcc-h/r/...`) at boot: the revision joins the
   * list, and its header the index being rebuilt. Throws on a header that fails its checksum.
   */
  loadHeader(value: Uint8Array, into: IndexLoader): void {
    const v = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (v.length < 24 || v.readUInt32BE(0) !== crc32c(v.subarray(4))) throw new Error('a revision header fails its checksum');
    const main = v.readDoubleBE(4);
    const sub = v.readUInt32BE(12);
    this.revs.add(main, sub, v.readUInt32BE(16), v.readUInt32BE(20));
    into.add(main, sub, v.subarray(24));
  }

  /**
   * The revision list as bytes for an index image, or undefined while writes are not landed
   * (the image must describe what is on disk).
   */
  revisionImage(): { bytes: Buffer; lastMain: number } | undefined {
    if (this.pending.length > 0 || this.overlay.size > 0) return undefined;
    return { bytes: this.revs.toImage(), lastMain: this.revs.lastMain };
  }

  /** Loads the revision list from an index image at boot (instead of one header at a time). */
  loadRevisionImage(bytes: Buffer): void {
    this.revs.loadImage(bytes);
  }

  /** Loads the non-revision records read at boot (keys without the `mvcc/` prefix). */
  loadRecord(key: string, value: Uint8Array): void {
    this.mirrorSet(key, value);
  }

  /** The index {@link reset} rebuilt, once. */
  takeLoader(): IndexLoader | undefined {
    const l = this.loader;
    this.loader = undefined;
    return l;
  }

  get(key: string): Uint8Array | undefined {
    if (!isRev(key)) return this.mirror.get(key);
    const { main, sub } = parseRevKey(key);
    return this.readRecord(main, sub, key, true);
  }

  getRevision(main: number, sub: number): Uint8Array | undefined {
    return this.readRecord(main, sub, undefined, true);
  }

  /** A revision record: the overlay's copy, else the cache's, else LevelDB's (checked). `key` when the caller has it. */
  private readRecord(main: number, sub: number, key: string | undefined, fill: boolean): Uint8Array | undefined {
    if (this.overlay.size > 0) {
      const o = this.overlay.get(main, sub);
      if (o !== undefined) return o.type === 'put' ? o.value : undefined;
    }
    const ck = cacheKey(main, sub, key);
    const c = this.cache.get(ck);
    if (c !== undefined) return c;
    key ??= revKey(main, sub);
    const v = this.db.getSync(MVCC_PREFIX + key);
    if (v === undefined) return undefined;
    if (this.revs.crcOf(main, sub) !== crc32c(v)) {
      const e = new CorruptRecordError(key);
      this.onCorrupt?.(e);
      throw e;
    }
    if (fill) this.cache.set(ck, v);
    return v;
  }

  put(key: string, value: Uint8Array): void {
    if (!isRev(key)) {
      this.mirrorSet(key, value);
      this.pending.push({ type: 'put', key: MVCC_PREFIX + key, value });
      return;
    }
    const { main, sub } = parseRevKey(key);
    this.putRevision(main, sub, value);
  }

  putRevision(main: number, sub: number, value: Uint8Array): void {
    const crc = crc32c(value);
    this.revs.add(main, sub, revKeyLength(sub) + value.length, crc);
    const op = new RecordPut(value, main, sub, crc);
    this.overlay.set(op);
    this.pending.push(op, new HeaderPut(op));
  }

  del(key: string): void {
    if (!isRev(key)) {
      const old = this.mirror.get(key);
      if (old === undefined) return;
      this.mirrorBytes -= key.length + old.length;
      this.mirror.delete(key);
      this.pending.push({ type: 'del', key: MVCC_PREFIX + key });
      return;
    }
    const { main, sub } = parseRevKey(key);
    this.delRevision(main, sub);
  }

  delRevision(main: number, sub: number): void {
    if (this.revs.remove(main, sub) === 0) return; // not held
    const op = new RecordDel(main, sub);
    this.overlay.set(op);
    this.cache.delete(cacheKey(main, sub));
    this.pending.push(op, new HeaderDel(op));
  }

  /**
   * Pairs with start <= key < end in key order. Non-revision keys are collected first (callers
   * may write while iterating); revision records are listed first and read one by one, without
   * filling the cache (a scan of history or of the whole store must not evict the hot records).
   */
  *scan(start: string, end: string): Iterable<[string, Uint8Array]> {
    if (!(start < end)) return;
    const below: [string, Uint8Array][] = [];
    const above: [string, Uint8Array][] = [];
    this.mirror.forRange(start, end, false, (k, v) => {
      (k < REV_PREFIX ? below : above).push([k, v]);
    });
    yield* below;
    if (start < REV_END && end > REV_PREFIX) yield* this.scanRevisions(start, end);
    yield* above;
  }

  private *scanRevisions(start: string, end: string): Iterable<[string, Uint8Array]> {
    const [fm, fs] = start <= REV_PREFIX ? [0, 0] : revBound(start);
    const [tm, ts] = end >= REV_END ? [Infinity, 0] : revBound(end);
    const { mains, subs } = this.revs.slice(fm, fs, tm, ts);
    for (let i = 0; i < mains.length; i++) {
      const k = revKey(mains[i]!, subs[i]!);
      const v = this.readRecord(mains[i]!, subs[i]!, k, false);
      if (v !== undefined) yield [k, v];
    }
  }

  /** A consistent reader of many revision records as of now (large ranges). */
  bulkReader(): BulkReader {
    const overlay = new RecordOverlay<RecordPut>();
    this.overlay.forEach((op) => {
      if (op instanceof RecordPut) overlay.set(op);
    });
    return new BulkReader({
      db: this.db,
      overlay,
      rank: (main, sub) => this.revs.rank(main, sub),
      crcOf: (main, sub) => this.revs.crcOf(main, sub),
      onCorrupt: (key) => {
        const e = new CorruptRecordError(key);
        this.onCorrupt?.(e);
        return e;
      },
    });
  }

  /** Every revision held, ascending, as pairs [main, sub, ...]. */
  revisionPairs(): Float64Array {
    const { mains, subs } = this.revs.slice(0, 0, Infinity, 0);
    const out = new Float64Array(2 * mains.length);
    for (let i = 0; i < mains.length; i++) {
      out[2 * i] = mains[i]!;
      out[2 * i + 1] = subs[i]!;
    }
    return out;
  }

  /** Every record held, in key order (state snapshots). */
  entries(): Iterable<[string, Uint8Array]> {
    return this.scan('', '\uffff');
  }

  /** The LevelDB ops deleting every record held (before a snapshot replaces the state). */
  deleteAllOps(): BatchOp[] {
    const ops: BatchOp[] = this.mirror.keysArray().map((k) => ({ type: 'del', key: MVCC_PREFIX + k }));
    const { mains, subs } = this.revs.slice(0, 0, Infinity, 0);
    for (let i = 0; i < mains.length; i++) {
      const k = revKey(mains[i]!, subs[i]!);
      ops.push({ type: 'del', key: MVCC_PREFIX + k }, { type: 'del', key: HEADER_PREFIX + k });
    }
    return ops;
  }

  /** Replaces the whole state (after a snapshot install made the same change durable). */
  reset(records: Iterable<[string, Uint8Array]>): void {
    this.mirror.clear();
    this.overlay.clear();
    this.cache.clear();
    this.revs.clear();
    this.pending = [];
    this.mirrorBytes = 0;
    const loader = new IndexLoader();
    for (const [k, v] of records) {
      if (!isRev(k)) {
        this.mirrorSet(k, v);
        continue;
      }
      const { main, sub } = parseRevKey(k);
      this.revs.add(main, sub, k.length + v.length, crc32c(v));
      loader.add(main, sub, v);
    }
    this.loader = loader;
  }

  /** Takes the writes made since the last call, in order, with their LevelDB keys. */
  drain(): BatchOp[] {
    const ops = this.pending;
    this.pending = [];
    return ops;
  }

  /** The batch holding these ops landed: their records are readable from LevelDB now. */
  settle(ops: readonly BatchOp[]): void {
    if (this.overlay.size === 0) return;
    for (const op of ops) {
      if (op instanceof RecordPut || op instanceof RecordDel) this.overlay.settle(op);
    }
  }

  private mirrorSet(k: string, v: Uint8Array): void {
    const old = this.mirror.get(k);
    if (old !== undefined) this.mirrorBytes -= k.length + old.length;
    this.mirror.set(k, v);
    this.mirrorBytes += k.length + v.length;
  }

  /** Bytes held (keys + values of every record), used for dbSize and the quota. */
  get sizeBytes(): number {
    return this.mirrorBytes + this.revs.totalBytes;
  }

  get cacheStats(): { bytes: number; hits: number; misses: number } {
    return { bytes: this.cache.bytes, hits: this.cache.hits, misses: this.cache.misses };
  }
}

/** (main, sub) of a scan bound inside the revision space (a full or a main-only record key). */
function revBound(k: string): [number, number] {
  const main = parseInt(k.slice(2, 18), 16);
  const sub = k.length > 19 ? parseInt(k.slice(19), 16) : 0;
  if (Number.isNaN(main)) throw new Error(`level engine: bad revision bound ${JSON.stringify(k)}`);
  return [main, Number.isNaN(sub) ? 0 : sub];
}
