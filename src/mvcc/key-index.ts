/**
 * The revisions of one key, grouped in generations (etcd's keyIndex).
 *
 * A generation is the life of the key from a creation to a deletion: its revisions ascend and,
 * for every generation but the last, the final revision is the tombstone. A tombstone appends
 * an empty generation, so the key is live iff the last generation is non-empty.
 *
 * `latest` caches the decoded live value (the last put) so reads at the current revision and
 * puts never touch the engine. Its buffers are views into the engine record: the cache costs an
 * object per live key, not a copy of the values.
 */
import type { Engine } from './engine';
import { decodeRecord, revKey } from './codec';
import type { KeyValue } from './types';

export class Generation {
  readonly mains: number[] = [];
  readonly subs: number[] = [];

  get length(): number {
    return this.mains.length;
  }

  lastMain(): number {
    return this.mains[this.mains.length - 1]!;
  }
}

export class KeyIndex {
  readonly key: Buffer;
  readonly gens: Generation[] = [new Generation()];
  latest: KeyValue | undefined = undefined;

  constructor(key: Buffer) {
    this.key = key;
  }

  private lastGen(): Generation {
    return this.gens[this.gens.length - 1]!;
  }

  /** True when the key exists at the newest revision. */
  isLive(): boolean {
    return this.lastGen().length > 0;
  }

  /** True when nothing is left (only after compaction): the index drops the key. */
  isEmpty(): boolean {
    return this.gens.length === 1 && this.gens[0]!.length === 0;
  }

  /** True when the key has exactly one revision and no tombstone: compaction has nothing to do. */
  isSingleRevision(): boolean {
    return this.gens.length === 1 && this.gens[0]!.length === 1;
  }

  /** Records a put at (main, sub); `kv` is the value written (it becomes `latest`). */
  put(main: number, sub: number, kv: KeyValue): void {
    const g = this.lastGen();
    g.mains.push(main);
    g.subs.push(sub);
    this.latest = kv;
  }

  /** Reverts the newest put; `prev` is the previous `latest`. For txn rollback only. */
  unput(prev: KeyValue | undefined): void {
    const g = this.lastGen();
    g.mains.pop();
    g.subs.pop();
    this.latest = prev;
  }

  /**
   * Records a deletion at (main, sub). Precondition: the key is live, except at restore where a
   * tombstone may be the first record of a key whose creation was compacted away.
   */
  tombstone(main: number, sub: number): void {
    const g = this.lastGen();
    g.mains.push(main);
    g.subs.push(sub);
    this.gens.push(new Generation());
    this.latest = undefined;
  }

  /** Reverts the newest tombstone. For txn rollback only. */
  untombstone(prev: KeyValue | undefined): void {
    this.gens.pop();
    const g = this.lastGen();
    g.mains.pop();
    g.subs.pop();
    this.latest = prev;
  }

  /**
   * Position of the revision visible at `atRev` as gen * 2^21 + index, or -1 when the key
   * does not exist at atRev. (Index < 2^21 always: the packing only avoids an allocation.)
   */
  private find(atRev: number): number {
    const last = this.gens.length - 1;
    for (let gi = last; gi >= 0; gi--) {
      const g = this.gens[gi]!;
      const n = g.length;
      if (n === 0) continue;
      if (gi !== last && g.mains[n - 1]! <= atRev) return -1; // deleted at or before atRev
      if (g.mains[0]! <= atRev) {
        for (let i = n - 1; i >= 0; i--) {
          if (g.mains[i]! <= atRev) return gi * 2097152 + i;
        }
        return -1;
      }
    }
    return -1;
  }

  /** True when the key exists at revision atRev. */
  existsAt(atRev: number): boolean {
    const latest = this.latest;
    if (latest !== undefined && latest.mod_revision <= atRev) return true;
    return this.find(atRev) >= 0;
  }

  /** The key's value at revision atRev, or undefined. Reads the engine only for old values. */
  kvAt(atRev: number, engine: Engine): KeyValue | undefined {
    const latest = this.latest;
    if (latest !== undefined && latest.mod_revision <= atRev) return latest;
    const pos = this.find(atRev);
    if (pos < 0) return undefined;
    const g = this.gens[Math.floor(pos / 2097152)]!;
    const i = pos % 2097152;
    const rec = engine.get(revKey(g.mains[i]!, g.subs[i]!));
    if (rec === undefined) throw new Error(`mvcc: missing revision record ${g.mains[i]}_${g.subs[i]}`);
    return decodeRecord(rec).kv;
  }

  /**
   * Compacts at atRev like etcd's keyIndex.compact: generations whose tombstone is below atRev are dropped; in the
   * first remaining generation the newest revision <= atRev is kept and older ones dropped.
   * `drop` is called for every dropped revision (to delete its record).
   */
  compact(atRev: number, drop: (main: number, sub: number) => void): void {
    let gi = 0;
    while (gi < this.gens.length - 1) {
      const g = this.gens[gi]!;
      if (g.lastMain() >= atRev) break;
      for (let i = 0; i < g.length; i++) drop(g.mains[i]!, g.subs[i]!);
      gi++;
    }
    const g = this.gens[gi]!;
    let n = -1;
    for (let i = g.length - 1; i >= 0; i--) {
      if (g.mains[i]! <= atRev) {
        n = i;
        break;
      }
    }
    if (n > 0) {
      for (let i = 0; i < n; i++) drop(g.mains[i]!, g.subs[i]!);
      g.mains.splice(0, n);
      g.subs.splice(0, n);
    }
    if (gi > 0) this.gens.splice(0, gi);
  }

  /** Every stored revision (main, sub), oldest first. */
  forEachRevision(fn: (main: number, sub: number) => void): void {
    for (const g of this.gens) for (let i = 0; i < g.length; i++) fn(g.mains[i]!, g.subs[i]!);
  }
}
