import { Progress } from './progress';
import { JointConfig, VoteResult, formatIds, formatJoint, jointCommittedIndex, jointIds, jointVoteResult, sortedIds } from './quorum';
import { ConfState } from './types';

/** A cluster configuration as tracked by the leader. */
export interface TrackerConfig {
  voters: JointConfig;
  autoLeave: boolean;
  learners: Set<bigint>;
  learnersNext: Set<bigint>;
}

export function emptyTrackerConfig(): TrackerConfig {
  return { voters: [new Set(), new Set()], autoLeave: false, learners: new Set(), learnersNext: new Set() };
}

export function cloneTrackerConfig(c: TrackerConfig): TrackerConfig {
  return {
    voters: [new Set(c.voters[0]), new Set(c.voters[1])],
    autoLeave: c.autoLeave,
    learners: new Set(c.learners),
    learnersNext: new Set(c.learnersNext),
  };
}

export function formatTrackerConfig(c: TrackerConfig): string {
  let s = `voters=${formatJoint(c.voters)}`;
  if (c.learners.size > 0) s += ` learners=${formatIds(c.learners)}`;
  if (c.learnersNext.size > 0) s += ` learners_next=${formatIds(c.learnersNext)}`;
  if (c.autoLeave) s += ' autoleave';
  return s;
}

export type ProgressMap = Map<bigint, Progress>;

/** Tracks the configuration, the progress of every member and the votes of an election. */
export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  votes: Map<bigint, boolean> = new Map();
  readonly maxInflight: number;

  constructor(maxInflight: number) {
    this.maxInflight = maxInflight;
  }

  confState(): ConfState {
    const cs: ConfState = {
      voters: sortedIds(this.config.voters[0]),
      learners: sortedIds(this.config.learners),
    };
    if (this.config.voters[1].size > 0) cs.votersOutgoing = sortedIds(this.config.voters[1]);
    if (this.config.learnersNext.size > 0) cs.learnersNext = sortedIds(this.config.learnersNext);
    if (this.config.autoLeave) cs.autoLeave = true;
    return cs;
  }

  isSingleton(): boolean {
    return this.config.voters[0].size === 1 && this.config.voters[1].size === 0;
  }

  /** The largest log index known to be replicated on a quorum of voters. */
  committed(): number {
    const prs = this.progress;
    return jointCommittedIndex(this.config.voters, (id) => prs.get(id)?.match);
  }

  private sortedCache: bigint[] = [];
  private sortedFor: ProgressMap | undefined = undefined;
  private sortedSize = -1;

  /** Visits all progress in a stable (sorted) order. */
  visit(f: (id: bigint, pr: Progress) => void): void {
    if (this.sortedFor !== this.progress || this.sortedSize !== this.progress.size) {
      this.sortedCache = sortedIds(this.progress.keys());
      this.sortedFor = this.progress;
      this.sortedSize = this.progress.size;
    }
    for (const id of this.sortedCache) {
      const pr = this.progress.get(id);
      if (pr !== undefined) f(id, pr);
    }
  }

  /** Whether a quorum of voters was recently active (learners do not count). */
  quorumActive(): boolean {
    const votes = new Map<bigint, boolean>();
    this.visit((id, pr) => {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    });
    return jointVoteResult(this.config.voters, votes) === 'VoteWon';
  }

  voterNodes(): bigint[] {
    return sortedIds(jointIds(this.config.voters));
  }

  learnerNodes(): bigint[] {
    return sortedIds(this.config.learners);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  recordVote(id: bigint, v: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, v);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: jointVoteResult(this.config.voters, this.votes) };
  }
}
