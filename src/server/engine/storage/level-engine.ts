/**
 * The MVCC engine over LevelDB: an in-memory ordered mirror of the `mvcc/` key space for
 * synchronous reads, and a list of pending writes that the Ready loop drains into its next
 * synced batch. A write becomes durable when that batch lands; until then it is only in memory,
 * and the Raft log (already synced before apply) is what recovers it after a crash.
 */
import BTree from 'sorted-btree';
import type { Engine } from '../../../mvcc/engine';
import { MVCC_PREFIX } from './keys';

export type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export class LevelEngine implements Engine {
  private readonly mirror = new BTree<string, Uint8Array>();
  private pending: BatchOp[] = [];
  private bytes = 0;

  /** Loads the mirror from records read at boot (keys without the `mvcc/` prefix). */
  load(records: Iterable<[string, Uint8Array]>): void {
    for (const [k, v] of records) {
      this.mirror.set(k, v);
      this.bytes += k.length + v.length;
    }
  }

  get(key: string): Uint8Array | undefined {
    return this.mirror.get(key);
  }

  put(key: string, value: Uint8Array): void {
    const old = this.mirror.get(key);
    if (old !== undefined) this.bytes -= key.length + old.length;
    this.mirror.set(key, value);
    this.bytes += key.length + value.length;
    this.pending.push({ type: 'put', key: MVCC_PREFIX + key, value });
  }

  del(key: string): void {
    const old = this.mirror.get(key);
    if (old === undefined) return;
    this.bytes -= key.length + old.length;
    this.mirror.delete(key);
    this.pending.push({ type: 'del', key: MVCC_PREFIX + key });
  }

  *scan(start: string, end: string): Iterable<[string, Uint8Array]> {
    // Collect first: callers may write to the engine while iterating the result.
    const out: [string, Uint8Array][] = [];
    this.mirror.forRange(start, end, false, (k, v) => {
      out.push([k, v]);
    });
    yield* out;
  }

  /** Every key held (without the `mvcc/` prefix), for replacing the state from a snapshot. */
  keys(): string[] {
    return this.mirror.keysArray();
  }

  /** Replaces the whole mirror (after a snapshot install made the same change durable). */
  reset(records: Iterable<[string, Uint8Array]>): void {
    this.mirror.clear();
    this.pending = [];
    this.bytes = 0;
    this.load(records);
  }

  /** Takes the writes made since the last call, in order, with their LevelDB keys. */
  drain(): BatchOp[] {
    const ops = this.pending;
    this.pending = [];
    return ops;
  }

  /** Approximate bytes held (keys + values), used for dbSize and the quota. */
  get sizeBytes(): number {
    return this.bytes;
  }

  get keyCount(): number {
    return this.mirror.size;
  }
}
