/**
 * Reading many revision records at once (large ranges), consistently and mostly off the main
 * thread. Taken synchronously when the range is planned: a LevelDB snapshot, and a copy of the
 * records written but not landed yet; later writes, compactions and flushes do not change what it
 * reads. Records whose revisions lie close together are read with a snapshot iterator (LevelDB
 * walks its blocks once, on the thread pool, while the caller encodes the previous chunk); sparse
 * ones with one getMany on the snapshot (also on the thread pool). Every record read from disk is
 * checked against its crc32c.
 */
import type { AbstractSnapshot } from 'abstract-level';
import type { Level } from 'level';
import { revKey } from '../../../mvcc/codec';
import { crc32c } from '../../../encoding/crc32c';
import { BULK_NEXTV_BYTES, MVCC_PREFIX } from './keys';
import type { RecordPut } from './record-ops';
import type { RecordOverlay } from './record-overlay';

/** What the reader needs from the engine at the time it is taken. */
export interface BulkSource {
  db: Level<string, Buffer>;
  /** Records not landed yet, copied. */
  overlay: RecordOverlay<RecordPut>;
  /** Position of (main, sub) in the revision list (for density), and its crc if still held. */
  rank(main: number, sub: number): number;
  crcOf(main: number, sub: number): number | undefined;
  onCorrupt(key: string): Error;
}

export class BulkReader {
  private readonly snapshot: AbstractSnapshot;

  constructor(private readonly s: BulkSource) {
    this.snapshot = s.db.snapshot();
  }

  /**
   * The records of revisions[2*from .. 2*to) (pairs main, sub), in that order. Throws if one is
   * missing (the plan came from the index, which only names records held).
   */
  async read(revisions: ArrayLike<number>, from: number, to: number): Promise<Uint8Array[]> {
    const n = to - from;
    const out: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n);
    const todo: number[] = [];
    for (let i = 0; i < n; i++) {
      const main = revisions[2 * (from + i)]!;
      const sub = revisions[2 * (from + i) + 1]!;
      const o = this.s.overlay.size > 0 ? this.s.overlay.get(main, sub) : undefined;
      if (o !== undefined) out[i] = o.value;
      else todo.push(i);
    }
    if (todo.length > 0) {
      todo.sort((a, b) => cmpRev(revisions, from + a, from + b));
      const first = todo[0]!;
      const last = todo[todo.length - 1]!;
      const span = this.rankOf(revisions, from + last) - this.rankOf(revisions, from + first) + 1;
      if (span <= 4 * todo.length) await this.iterate(revisions, from, todo, out);
      else await this.getMany(revisions, from, todo, out);
    }
    for (let i = 0; i < n; i++) {
      if (out[i] === undefined) {
        throw new Error(`bulk read: missing revision record ${revisions[2 * (from + i)]}_${revisions[2 * (from + i) + 1]}`);
      }
    }
    return out as Uint8Array[];
  }

  /** One record, synchronously (overlay copy, else the snapshot); throws if it is not there. */
  readOne(main: number, sub: number): Uint8Array {
    const o = this.s.overlay.size > 0 ? this.s.overlay.get(main, sub) : undefined;
    const v = o?.value ?? this.getOne(main, sub);
    if (v === undefined) throw new Error(`bulk read: missing revision record ${main}_${sub}`);
    return v;
  }

  close(): Promise<void> {
    return this.snapshot.close();
  }

  private rankOf(revisions: ArrayLike<number>, j: number): number {
    return this.s.rank(revisions[2 * j]!, revisions[2 * j + 1]!);
  }

  private getOne(main: number, sub: number): Uint8Array | undefined {
    const key = revKey(main, sub);
    const v = this.s.db.getSync(MVCC_PREFIX + key, { snapshot: this.snapshot });
    if (v !== undefined) this.check(key, main, sub, v);
    return v;
  }

  /**
   * Sparse records (a listing in key order, whose revisions lie all over the store) in one
   * getMany on the snapshot: LevelDB looks them up on the thread pool while the caller encodes
   * the previous chunk, instead of one getSync after the other on the main thread.
   */
  private async getMany(revisions: ArrayLike<number>, from: number, todo: number[], out: (Uint8Array | undefined)[]): Promise<void> {
    const keys = todo.map((i) => revKey(revisions[2 * (from + i)]!, revisions[2 * (from + i) + 1]!));
    const values = await this.s.db.getMany(
      keys.map((k) => MVCC_PREFIX + k),
      { snapshot: this.snapshot },
    );
    for (let k = 0; k < todo.length; k++) {
      const v = values[k];
      if (v === undefined) continue; // read() reports it missing
      const i = todo[k]!;
      this.check(keys[k]!, revisions[2 * (from + i)]!, revisions[2 * (from + i) + 1]!, v);
      out[i] = v;
    }
  }

  /** Walks the snapshot from the first to the last wanted record, keeping the wanted ones. */
  private async iterate(revisions: ArrayLike<number>, from: number, todo: number[], out: (Uint8Array | undefined)[]): Promise<void> {
    const keyAt = (k: number): string => MVCC_PREFIX + revKey(revisions[2 * (from + todo[k]!)]!, revisions[2 * (from + todo[k]!) + 1]!);
    const it = this.s.db.iterator({
      gte: keyAt(0),
      lte: keyAt(todo.length - 1),
      snapshot: this.snapshot,
      highWaterMarkBytes: BULK_NEXTV_BYTES,
    });
    try {
      let k = 0;
      let want = keyAt(0);
      while (k < todo.length) {
        const batch = await it.nextv(Math.max(256, todo.length - k));
        if (batch.length === 0) break;
        for (const [key, v] of batch) {
          while (k < todo.length && want < key) {
            k++;
            if (k < todo.length) want = keyAt(k);
          }
          if (k >= todo.length) break;
          if (want === key) {
            const i = todo[k]!;
            this.check(key.slice(MVCC_PREFIX.length), revisions[2 * (from + i)]!, revisions[2 * (from + i) + 1]!, v);
            out[i] = v;
            k++;
            if (k < todo.length) want = keyAt(k);
          }
        }
      }
    } finally {
      await it.close();
    }
  }

  private check(key: string, main: number, sub: number, v: Uint8Array): void {
    const crc = this.s.crcOf(main, sub);
    if (crc !== undefined && crc !== crc32c(v)) throw this.s.onCorrupt(key);
  }
}

function cmpRev(revisions: ArrayLike<number>, a: number, b: number): number {
  return revisions[2 * a]! - revisions[2 * b]! || revisions[2 * a + 1]! - revisions[2 * b + 1]!;
}
