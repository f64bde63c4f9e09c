/**
 * The Ready loop's writes to LevelDB, in order: one chain of batches (LevelDB applies them whole
 * and in order), and the applied effects held back to ride in the next Ready's batch, or flushed
 * after a short idle time when no Ready comes. Once the loop has failed nothing more is written.
 */
import { splitLargeBatch, type BatchOp } from './storage/level-engine';
import { failpoint } from './failpoints';
import type { Db } from './storage/member-db';
import { plainOps, rawBatch, rawBatchApplies } from './storage/raw-batch';
import type { EngineStats } from './stats';

export interface BatchWriterOptions {
  db: Db;
  /** Whether a Ready is being processed (it will carry the held effects itself). */
  busy(): boolean;
  /** Told when a batch landed (its ops are readable from LevelDB). */
  landed: { settled(ops: readonly BatchOp[]): void };
  /** A write failed: the loop stops for good. */
  onError(e: Error, what: string): void;
  /** Each batch's duration: synced ones as etcd's WAL fsync, the others as its backend commit. */
  stats: EngineStats;
}

/**
 * Held effects above this many ops (a DeleteRange or lease revocation of thousands of keys) are
 * written after an event-loop turn: applying them and converting them into a LevelDB batch (both
 * synchronous, ~1-3 µs an op each) would otherwise block the loop as one piece.
 */
const LARGE_HOLD = 20000;

/**
 * Ops per chunk of a large batch written ahead (splitLargeBatch). Converting a chunk holds the
 * main thread about 1-2 µs an op; at 4,000 each piece is a few ms, and watch streams (HTTP/2 flow
 * control) and peers are served between the chunks. A revocation of 10,000 keys: its watcher saw
 * every delete after a median of 166 ms instead of 210 with chunks of 20,000 (8 alternating runs).
 */
const CHUNK_OPS = 4000;

export class BatchWriter {
  private readonly o: BatchWriterOptions;
  /** Batches go straight to classic-level (storage/raw-batch.ts) when the database allows it. */
  private readonly raw: boolean;
  private chain: Promise<void> = Promise.resolve();
  private held: BatchOp[] = [];
  private idle: NodeJS.Timeout | undefined;
  /** Callers waiting for an op to land (see flushSoonDurable). */
  private watched: { op: BatchOp; done: () => void }[] = [];
  private failed: Error | undefined;

  constructor(o: BatchWriterOptions) {
    this.o = o;
    this.raw = rawBatchApplies(o.db);
  }

  /**
   * Holds applied effects (with their applied index) for the next batch, after what was
   * appended meanwhile (a compaction step that ran while the Ready's batch was being written).
   */
  hold(ops: BatchOp[]): void {
    this.held = this.held.length === 0 ? ops : this.held.concat(ops);
  }

  /** Whether the held effects are large (see LARGE_HOLD): the Ready loop then yields once. */
  get holdsMany(): boolean {
    return this.held.length > LARGE_HOLD;
  }

  /** Resolves after one turn of the event loop (timers and I/O callbacks run meanwhile). */
  turn(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }

  /**
   * The held effects for a Ready's batch. Large ones (LARGE_HOLD: a DeleteRange or revocation of
   * many keys, seconds of writing) are written ahead as a batch of their own instead, in the same
   * order in the chain: a Ready with nothing of its own to persist (heartbeats, read states) then
   * goes on at once instead of waiting for them, as etcd's Raft loop does while it applies.
   */
  takeForReady(): BatchOp[] {
    if (this.holdsMany) this.flush();
    return this.take();
  }

  /** Takes the held effects, to be written first in a batch. */
  take(): BatchOp[] {
    const ops = this.held;
    this.held = [];
    return ops;
  }

  /**
   * Writes one batch after every earlier one; refused once a write has failed. A batch with many
   * revision records (a DeleteRange of many keys) has them written ahead in chunks
   * (splitLargeBatch); the batch counts as landed when its last part has.
   */
  write(ops: BatchOp[], sync: boolean): Promise<void> {
    const p = this.chain.then(async () => {
      const split = splitLargeBatch(ops, CHUNK_OPS);
      if (split !== undefined) {
        for (const chunk of split.ahead) {
          failpoint('writeChunkAhead');
          await this.writeOne(chunk, false);
        }
        await this.writeOne(split.last, sync);
      } else await this.writeOne(ops, sync);
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async writeOne(ops: BatchOp[], sync: boolean): Promise<void> {
    if (this.failed) throw this.failed;
    const t0 = performance.now();
    await (this.raw ? rawBatch(this.o.db, ops, sync) : this.o.db.batch(plainOps(ops) as never, { sync }));
    this.o.landed.settled(ops);
    if (this.watched.length > 0) this.released(ops);
    const seconds = (performance.now() - t0) / 1000;
    if (sync) this.o.stats.walFsync(seconds);
    else this.o.stats.backendCommit(seconds);
  }

  /** Writes in the background; a failure goes to onError. */
  writeLater(ops: BatchOp[], what: string): void {
    this.write(ops, false).catch((e: Error) => this.o.onError(e, what));
  }

  /** Flushes the held effects shortly, unless a Ready comes first and carries them. */
  flushSoon(): void {
    if (this.held.length === 0 || this.idle !== undefined || this.failed) return;
    this.idle = setTimeout(() => {
      this.idle = undefined;
      if (!this.o.busy()) this.flush();
      else this.flushSoon();
    }, 2);
  }

  /**
   * Adds ops after the held effects and flushes them soon; resolves once they have landed (in a
   * flushed batch or in a Ready's). Never resolves if the writer fails (the member stops).
   */
  append(ops: BatchOp[]): Promise<void> {
    const last = ops[ops.length - 1];
    if (last === undefined) return Promise.resolve();
    this.held = this.held.length === 0 ? ops : [...this.held, ...ops];
    const p = new Promise<void>((done) => this.watched.push({ op: last, done }));
    this.flushSoon();
    return p;
  }

  private released(ops: BatchOp[]): void {
    const landed = new Set(ops);
    this.watched = this.watched.filter((w) => {
      if (!landed.has(w.op)) return true;
      w.done();
      return false;
    });
  }

  /** Writes the held effects now (not synced: the entries they come from are in the log). */
  flush(): void {
    if (this.held.length === 0 || this.failed) return;
    this.writeLater(this.take(), 'writing applied state failed');
  }

  /** No more writes: the loop failed, and what is in memory may be half applied. */
  stopWriting(e: Error): void {
    this.failed = e;
    this.cancelIdle();
  }

  cancelIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  /** Resolves when every batch handed over so far is written (or failed). */
  drained(): Promise<void> {
    return this.chain;
  }
}
