/**
 * A compaction's work after the moment it takes effect (etcd's index compaction and its
 * background scheduleCompaction). When a compaction is applied only the compact revision moves
 * (reads below it fail from then on); trimming each changed key's revisions in the index and
 * deleting the records no longer needed happen in steps (a few thousand at a time), so a large
 * compaction never holds the caller for long.
 *
 * Reads at or above the compact revision are the same whether a key is trimmed yet or not (they
 * use the newest revision <= their revision, which trimming keeps), and the KV hash decides what
 * a compaction keeps from the untrimmed index too ({@link isKept}), so every member hashes alike
 * whatever its progress. While work remains the engine holds META_COMPACTING; a store opened
 * over it trims every key again (etcd's restore of an unfinished compaction).
 */
import type { Engine } from './engine';
import { encodeCompactRev, META_COMPACTING } from './codec';
import type { KeyIndex } from './key-index';
import type { KvIndex } from './kv-index';

export class Compaction {
  /** Keys to trim at `rev`, from `queueAt`. */
  private queue: KeyIndex[] = [];
  private queueAt = 0;
  private rev = 0;
  /** Trimmed revisions whose records are still to be deleted: [main, sub, ...] from `backlogAt`. */
  private backlog: number[] = [];
  private backlogAt = 0;

  constructor(
    private readonly index: KvIndex,
    private readonly engine: Engine,
  ) {}

  /** Starts a compaction at rev over `keys` (every key that may hold revisions below it). */
  start(rev: number, keys: Iterable<KeyIndex>): void {
    // Keys still queued by an earlier compaction are in `keys` too (trimming marks them done).
    this.queue = Array.from(keys);
    this.queueAt = 0;
    this.rev = rev;
    if (this.pending > 0) this.engine.put(META_COMPACTING, encodeCompactRev(rev));
  }

  /** Keys left to trim plus records left to delete. */
  get pending(): number {
    return this.queue.length - this.queueAt + ((this.backlog.length - this.backlogAt) >> 1);
  }

  /** Does up to `max` units of work (a key trimmed or a record deleted); returns what is left. */
  step(max: number): number {
    let budget = max;
    while (budget > 0 && this.pending > 0) {
      if (this.backlogAt < this.backlog.length) {
        const b = this.backlog;
        const end = Math.min(b.length, this.backlogAt + 2 * budget);
        for (let i = this.backlogAt; i < end; i += 2) this.engine.delRevision(b[i]!, b[i + 1]!);
        budget -= (end - this.backlogAt) >> 1;
        this.backlogAt = end;
        continue;
      }
      this.backlog = [];
      this.backlogAt = 0;
      const end = Math.min(this.queue.length, this.queueAt + budget);
      for (let i = this.queueAt; i < end; i++) this.trim(this.queue[i]!);
      budget -= end - this.queueAt;
      this.queueAt = end;
    }
    if (this.pending === 0 && (this.queue.length > 0 || this.backlog.length > 0)) {
      this.queue = [];
      this.queueAt = 0;
      this.backlog = [];
      this.backlogAt = 0;
      this.engine.del(META_COMPACTING);
    }
    return this.pending;
  }

  private trim(ki: KeyIndex): void {
    const index = this.index;
    ki.compact(this.rev, (main, sub) => this.backlog.push(main, sub));
    if (index.get(ki.k) !== ki) return;
    if (ki.isEmpty()) index.remove(ki);
    else if (ki.isSingleRevision()) index.compactable.delete(ki);
  }
}

/**
 * Whether a record below the compact revision is one a compaction at compactRev keeps: the
 * newest revision <= compactRev of its key, and not a tombstone (etcd's keyIndex.keep).
 */
export function isKept(ki: KeyIndex | undefined, compactRev: number, main: number, sub: number): boolean {
  return ki !== undefined && ki.newestPutAt(compactRev, main, sub);
}
