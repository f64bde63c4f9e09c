import type { ProgressState } from './progress';
import type { Raft, StateType } from './raft';
import { ConfState } from './types';

export interface ProgressStatus {
  match: number;
  next: number;
  state: ProgressState;
  recentActive: boolean;
  isLearner: boolean;
  pendingSnapshot: number;
  inflight: number;
  /** Sending appends to this follower is currently throttled. */
  paused: boolean;
}

export interface BasicStatus {
  id: bigint;
  term: number;
  vote: bigint;
  commit: number;
  applied: number;
  lead: bigint;
  raftState: StateType;
  leadTransferee: bigint;
}

export interface Status extends BasicStatus {
  config: ConfState;
  /** Only on the leader. */
  progress?: Map<bigint, ProgressStatus>;
}

export function basicStatusOf(r: Raft): BasicStatus {
  return {
    id: r.id,
    term: r.term,
    vote: r.vote,
    commit: r.raftLog.committed,
    applied: r.raftLog.applied,
    lead: r.lead,
    raftState: r.state,
    leadTransferee: r.leadTransferee,
  };
}

export function statusOf(r: Raft): Status {
  const s: Status = { ...basicStatusOf(r), config: r.prs.confState() };
  if (r.state === 'StateLeader') {
    const progress = new Map<bigint, ProgressStatus>();
    r.prs.visit((id, pr) => {
      progress.set(id, {
        match: pr.match,
        next: pr.next,
        state: pr.state,
        recentActive: pr.recentActive,
        isLearner: pr.isLearner,
        pendingSnapshot: pr.pendingSnapshot,
        inflight: pr.inflights.length(),
        paused: pr.isPaused(),
      });
    });
    s.progress = progress;
  }
  return s;
}
