/**
 * Runs a compaction's remaining work in the background (etcd's scheduleCompaction): a step of
 * STEP units (a key's revisions trimmed in the index, or a record deleted, src/mvcc/compaction.ts),
 * its deletes written with the member's next batch, then a pause, until nothing is left. The
 * compaction took effect for readers when it was applied (reads below its revision refused);
 * here the index shrinks and the disk space comes back. Progress is logged for long backlogs;
 * `Compact` with `physical: true` waits for {@link whenDone}.
 */
import type { Logger } from 'pino';
import type { BatchOp } from './storage/level-engine';

const STEP = 2000;
const PAUSE_MS = 5;

export interface CompactionTarget {
  /** Work left: keys to trim in the index and records to delete. */
  backlog(): number;
  /** Does up to max units of that work; returns the writes to make (with the next batch). */
  step(max: number): BatchOp[];
  /** Writes those ops with the member's next batch; resolves once they are durable. */
  write(ops: BatchOp[]): Promise<void>;
}

export class CompactionDriver {
  private timer: NodeJS.Timeout | undefined;
  private waiters: (() => void)[] = [];
  private started = 0;
  private total = 0;
  private lastLog = 0;
  private stopped = false;

  constructor(
    private readonly t: CompactionTarget,
    private readonly log: Logger,
  ) {}

  /** Called after a compaction was applied (or at start, for one left unfinished). */
  kick(): void {
    if (this.stopped || this.timer !== undefined || this.t.backlog() === 0) return;
    this.started = performance.now();
    this.total = this.t.backlog();
    this.lastLog = this.started;
    this.schedule();
  }

  /** Resolves once no compaction has work left, and its deletes are durable. */
  whenDone(): Promise<void> {
    if (this.t.backlog() === 0 && this.timer === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => this.run(), PAUSE_MS);
  }

  private run(): void {
    if (this.stopped) return;
    const ops = this.t.step(STEP);
    const left = this.t.backlog();
    const durable = this.t.write(ops);
    const now = performance.now();
    if (now - this.lastLog > 5000) {
      this.lastLog = now;
      this.log.info({ done: this.total - left, of: this.total }, 'compaction: trimming the index and deleting compacted revisions');
    }
    if (left > 0) {
      this.schedule();
      return;
    }
    this.timer = undefined;
    if (this.total > 10 * STEP) {
      this.log.info(
        { done: this.total, took: `${Math.round(now - this.started)}ms` },
        'compaction: index trimmed and compacted revisions deleted',
      );
    }
    const waiters = this.waiters;
    this.waiters = [];
    // A failed write stops the member; waiters are released either way.
    void durable.finally(() => {
      for (const w of waiters) w();
    });
  }
}
