/**
 * Auto-compaction (--auto-compaction-mode, --auto-compaction-retention) as etcd 3.6's
 * v3compactor does it. Runs on every member but compacts only while this member leads (paused
 * otherwise, as etcd's updateLeadership does); a compaction is proposed through Raft like a
 * client's Compact, and ErrCompacted counts as success.
 *
 * periodic (retention P): every P/10 (at most 6 min) the current revision is sampled; the
 * oldest of the last P/(P/10)+1 samples is the revision of about P ago. Nothing is compacted
 * until P has passed since the start or the last success (at most 1 h once one compaction has
 * run), nor the same revision twice. A failure is retried at the next sample.
 * revision (retention N): every 5 minutes, compacts to (current revision - N) when positive
 * and not the one compacted last.
 *
 * Time is injected (a clock and a scheduler), so the unit tests drive it by hand.
 */
import type { Logger } from 'pino';
import { isEtcdError } from '../../errors';
import type { Scheduler } from './watch/types';
import { formatGoDuration as goDuration } from '../config/duration';

const HOUR_MS = 3_600_000;
/** etcd's revInterval: how often revision mode looks. */
export const REVISION_CHECK_MS = 5 * 60_000;

export interface AutoCompactorDeps {
  mode: 'periodic' | 'revision';
  /** periodic: the retention window in ms; revision: the number of revisions kept. */
  retention: number;
  now(): number;
  scheduler: Scheduler;
  /** The store's current revision. */
  rev(): number;
  /** Proposes a compaction at `rev` through Raft and resolves once it is applied. */
  compact(rev: number): Promise<unknown>;
  log: Logger;
}

export class AutoCompactor {
  private readonly d: AutoCompactorDeps;
  private paused = false;
  private stopped = false;
  private timer: { cancel(): void } | undefined;
  // periodic
  private revs: number[] = [];
  private lastRevision = 0;
  private lastSuccess = 0;
  private baseInterval = 0;
  // revision
  private prev = 0;

  constructor(d: AutoCompactorDeps) {
    this.d = d;
  }

  /** Starts the loop (etcd's Run); an unpaused compactor compacts only when its turn comes. */
  start(): void {
    if (this.d.mode === 'periodic') {
      this.lastSuccess = this.d.now();
      this.baseInterval = this.d.retention;
      this.samplePeriodic();
    } else {
      this.wait(REVISION_CHECK_MS, () => this.checkRevision());
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Compacts only while this member leads (etcd's Pause / Resume on leadership changes). */
  setLeader(isLeader: boolean): void {
    this.paused = !isLeader;
  }

  private get period(): number {
    return this.d.retention;
  }

  /** etcd's getRetryInterval: a tenth of the period, at most 6 minutes. */
  private get retryInterval(): number {
    return Math.min(this.period, HOUR_MS) / 10;
  }

  /** etcd's getRetentions: how many samples span the period. */
  private get retentions(): number {
    return Math.floor(this.period / this.retryInterval) + 1;
  }

  private wait(ms: number, fn: () => void): void {
    if (this.stopped) return;
    this.timer = this.d.scheduler.schedule(fn, ms);
  }

  private samplePeriodic(): void {
    this.revs.push(this.d.rev());
    if (this.revs.length > this.retentions) this.revs = this.revs.slice(1);
    this.wait(this.retryInterval, () => this.checkPeriodic());
  }

  private checkPeriodic(): void {
    const rev = this.revs[0]!;
    if (this.paused || this.d.now() - this.lastSuccess < this.baseInterval || rev === this.lastRevision) {
      this.samplePeriodic();
      return;
    }
    if (this.baseInterval === this.period) this.baseInterval = Math.min(this.period, HOUR_MS);
    const fields = { revision: rev, 'compact-period': goDuration(this.period) };
    this.d.log.info(fields, 'starting auto periodic compaction');
    const started = this.d.now();
    this.d.compact(rev).then(
      () => this.periodicDone(rev, fields, started),
      (err: Error) => {
        if (isEtcdError(err, 'Compacted')) return this.periodicDone(rev, fields, started);
        this.d.log.warn(
          { ...fields, 'retry-interval': goDuration(this.retryInterval), error: err.message },
          'failed auto periodic compaction',
        );
        this.samplePeriodic();
      },
    );
  }

  private periodicDone(rev: number, fields: object, started: number): void {
    this.d.log.info({ ...fields, took: goDuration(this.d.now() - started) }, 'completed auto periodic compaction');
    this.lastRevision = rev;
    this.lastSuccess = this.d.now();
    this.samplePeriodic();
  }

  private checkRevision(): void {
    const rev = this.d.rev() - this.d.retention;
    if (this.paused || rev <= 0 || rev === this.prev) {
      this.wait(REVISION_CHECK_MS, () => this.checkRevision());
      return;
    }
    const fields = { revision: rev, 'revision-compaction-retention': this.d.retention };
    this.d.log.info(fields, 'starting auto revision compaction');
    const started = this.d.now();
    const done = (): void => {
      this.prev = rev;
      this.d.log.info({ ...fields, took: goDuration(this.d.now() - started) }, 'completed auto revision compaction');
    };
    this.d
      .compact(rev)
      .then(done, (err: Error) => {
        if (isEtcdError(err, 'Compacted')) done();
        else
          this.d.log.warn(
            { ...fields, 'retry-interval': goDuration(REVISION_CHECK_MS), error: err.message },
            'failed auto revision compaction',
          );
      })
      .finally(() => this.wait(REVISION_CHECK_MS, () => this.checkRevision()));
  }
}
