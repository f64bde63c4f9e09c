import { Inflights } from './inflights';

export type ProgressState = 'Probe' | 'Replicate' | 'Snapshot';

/**
 * The leader's view of one follower: `match` is the highest index known to be replicated,
 * `next` the next index to send. In Probe at most one append is in flight per heartbeat
 * interval; in Replicate appends are pipelined up to the inflights limit; in Snapshot nothing is
 * sent until the snapshot is reported.
 */
export class Progress {
  match: number;
  next: number;
  state: ProgressState = 'Probe';
  pendingSnapshot = 0;
  recentActive = false;
  msgAppFlowPaused = false;
  inflights: Inflights;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, isLearner: boolean, match = 0) {
    this.match = match;
    this.next = next;
    this.inflights = new Inflights(maxInflight);
    this.isLearner = isLearner;
  }

  clone(): Progress {
    const p = new Progress(this.next, this.inflights.size, this.isLearner, this.match);
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.recentActive = this.recentActive;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    p.inflights = this.inflights.clone();
    return p;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'Snapshot') {
      const pending = this.pendingSnapshot;
      this.resetState('Probe');
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState('Probe');
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState('Replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState('Snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** Records that entries up to `last` were just sent in a MsgApp. */
  updateOnEntriesSend(numEntries: number, lastIndex: number): void {
    switch (this.state) {
      case 'Replicate':
        if (numEntries > 0) {
          this.next = lastIndex + 1;
          this.inflights.add(lastIndex);
        }
        this.msgAppFlowPaused = this.inflights.full();
        break;
      case 'Probe':
        if (numEntries > 0) this.msgAppFlowPaused = true;
        break;
      default:
        throw new Error(`sending append in unhandled state ${this.state}`);
    }
  }

  /** Handles an accepted MsgAppResp up to n. Returns false if n is stale. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * Handles a rejected MsgApp for `rejected`, with the follower's hint of where to retry.
   * Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'Replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether sending appends to this follower is currently throttled. */
  isPaused(): boolean {
    switch (this.state) {
      case 'Probe':
        return this.msgAppFlowPaused;
      case 'Replicate':
        return this.msgAppFlowPaused;
      case 'Snapshot':
        return true;
    }
  }

  toString(): string {
    let s = `StateProbe`.replace('Probe', this.state) + ` match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.length();
    if (n > 0) {
      s += ` inflight=${n}`;
      if (this.inflights.full()) s += '[full]';
    }
    return s;
  }
}
