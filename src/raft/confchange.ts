import { RaftError } from './errors';
import { Progress } from './progress';
import { ProgressMap, TrackerConfig, cloneTrackerConfig } from './tracker';
import { ConfChange, ConfChangeSingle, ConfChangeV2, ConfState } from './types';

/** Converts a V1 ConfChange to its V2 form. */
export function toConfChangeV2(cc: ConfChange | ConfChangeV2): ConfChangeV2 {
  if ('changes' in cc) return cc;
  const out: ConfChangeV2 = { transition: 'Auto', changes: [{ type: cc.type, nodeId: cc.nodeId }] };
  if (cc.context !== undefined) out.context = cc.context;
  return out;
}

/** Whether applying cc enters a joint configuration, and if so whether it auto-leaves. */
export function enterJoint(cc: ConfChangeV2): { autoLeave: boolean; use: boolean } {
  if (cc.transition !== 'Auto' || cc.changes.length > 1) {
    return { autoLeave: cc.transition === 'Auto' || cc.transition === 'JointImplicit', use: true };
  }
  return { autoLeave: false, use: false };
}

/** Whether cc is the empty change that leaves a joint configuration. */
export function leaveJoint(cc: ConfChangeV2): boolean {
  return cc.transition === 'Auto' && cc.changes.length === 0;
}

function invalid(msg: string): RaftError {
  return new RaftError('ConfChangeInvalid', msg);
}

/**
 * Computes configuration changes on copies of the tracker's config and progress map, returning
 * the results for the caller to install. `lastIndex` seeds the progress of new members.
 */
export class Changer {
  constructor(
    private readonly config: TrackerConfig,
    private readonly progress: ProgressMap,
    private readonly maxInflight: number,
    private readonly lastIndex: number,
  ) {}

  enterJoint(autoLeave: boolean, ccs: ConfChangeSingle[]): [TrackerConfig, ProgressMap] {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.voters[1].size > 0) throw invalid('config is already joint');
    if (cfg.voters[0].size === 0) throw invalid("can't make a zero-voter config joint");
    for (const id of cfg.voters[0]) cfg.voters[1].add(id);
    this.apply(cfg, prs, ccs);
    cfg.autoLeave = autoLeave;
    checkInvariants(cfg, prs);
    return [cfg, prs];
  }

  leaveJoint(): [TrackerConfig, ProgressMap] {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.voters[1].size === 0) throw invalid("can't leave a non-joint config");
    for (const id of cfg.learnersNext) {
      cfg.learners.add(id);
      prs.get(id)!.isLearner = true;
    }
    cfg.learnersNext.clear();
    for (const id of cfg.voters[1]) {
      if (!cfg.voters[0].has(id) && !cfg.learners.has(id)) prs.delete(id);
    }
    cfg.voters[1].clear();
    cfg.autoLeave = false;
    checkInvariants(cfg, prs);
    return [cfg, prs];
  }

  /** Applies changes that alter the voters by at most one member, without joint consensus. */
  simple(ccs: ConfChangeSingle[]): [TrackerConfig, ProgressMap] {
    const [cfg, prs] = this.checkAndCopy();
    if (cfg.voters[1].size > 0) throw invalid("can't apply simple config change in joint config");
    this.apply(cfg, prs, ccs);
    let diff = 0;
    for (const id of this.config.voters[0]) if (!cfg.voters[0].has(id)) diff++;
    for (const id of cfg.voters[0]) if (!this.config.voters[0].has(id)) diff++;
    if (diff > 1) throw invalid('more than one voter changed without entering joint config');
    checkInvariants(cfg, prs);
    return [cfg, prs];
  }

  private apply(cfg: TrackerConfig, prs: ProgressMap, ccs: ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0n) continue;
      switch (cc.type) {
        case 'AddNode':
          this.makeVoter(cfg, prs, cc.nodeId);
          break;
        case 'AddLearnerNode':
          this.makeLearner(cfg, prs, cc.nodeId);
          break;
        case 'RemoveNode':
          this.remove(cfg, prs, cc.nodeId);
          break;
        case 'UpdateNode':
          break;
      }
    }
    if (cfg.voters[0].size === 0) throw invalid('removed all voters');
  }

  private makeVoter(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, false);
      return;
    }
    pr.isLearner = false;
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    cfg.voters[0].add(id);
  }

  private makeLearner(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    const pr = prs.get(id);
    if (pr === undefined) {
      this.initProgress(cfg, prs, id, true);
      return;
    }
    if (pr.isLearner) return;
    // Remove any existing voter in the incoming config, keeping the progress.
    this.remove(cfg, prs, id);
    prs.set(id, pr);
    if (cfg.voters[1].has(id)) {
      // Still a voter in the outgoing config: becomes a learner when leaving the joint config.
      cfg.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      cfg.learners.add(id);
    }
  }

  private remove(cfg: TrackerConfig, prs: ProgressMap, id: bigint): void {
    if (!prs.has(id)) return;
    cfg.voters[0].delete(id);
    cfg.learners.delete(id);
    cfg.learnersNext.delete(id);
    if (!cfg.voters[1].has(id)) prs.delete(id);
  }

  private initProgress(cfg: TrackerConfig, prs: ProgressMap, id: bigint, isLearner: boolean): void {
    if (!isLearner) cfg.voters[0].add(id);
    else cfg.learners.add(id);
    const pr = new Progress(Math.max(this.lastIndex, 1), this.maxInflight, isLearner);
    // A new peer is considered active so that check-quorum does not step the leader down
    // right after adding it.
    pr.recentActive = true;
    prs.set(id, pr);
  }

  private checkAndCopy(): [TrackerConfig, ProgressMap] {
    const cfg = cloneTrackerConfig(this.config);
    const prs: ProgressMap = new Map();
    for (const [id, pr] of this.progress) prs.set(id, pr.clone());
    checkInvariants(cfg, prs);
    return [cfg, prs];
  }
}

function checkInvariants(cfg: TrackerConfig, prs: ProgressMap): void {
  for (const ids of [cfg.voters[0], cfg.voters[1], cfg.learners, cfg.learnersNext]) {
    for (const id of ids) if (!prs.has(id)) throw invalid(`no progress for ${id}`);
  }
  for (const id of cfg.learnersNext) {
    if (!cfg.voters[1].has(id)) throw invalid(`${id} is in LearnersNext, but not Voters[1]`);
    if (prs.get(id)!.isLearner) throw invalid(`${id} is in LearnersNext, but is already marked as learner`);
  }
  for (const id of cfg.learners) {
    if (cfg.voters[1].has(id)) throw invalid(`${id} is in Learners and Voters[1]`);
    if (cfg.voters[0].has(id)) throw invalid(`${id} is in Learners and Voters[0]`);
    if (!prs.get(id)!.isLearner) throw invalid(`${id} is in Learners, but is not marked as learner`);
  }
  if (cfg.voters[1].size === 0) {
    if (cfg.learnersNext.size > 0) throw invalid('cfg.LearnersNext must be nil when not joint');
    if (cfg.autoLeave) throw invalid('AutoLeave must be false when not joint');
  }
}

/**
 * Rebuilds the configuration described by a ConfState from scratch (used at boot and when a
 * snapshot is restored).
 */
export function restoreConfState(
  cs: ConfState,
  maxInflight: number,
  lastIndex: number,
  start: [TrackerConfig, ProgressMap],
): [TrackerConfig, ProgressMap] {
  const outgoing: ConfChangeSingle[] = (cs.votersOutgoing ?? []).map((id) => ({ type: 'AddNode', nodeId: id }));
  // The incoming changes apply on top of the outgoing config: first remove its voters.
  const incoming: ConfChangeSingle[] = (cs.votersOutgoing ?? []).map((id) => ({ type: 'RemoveNode', nodeId: id }));
  for (const id of cs.voters) incoming.push({ type: 'AddNode', nodeId: id });
  for (const id of cs.learners) incoming.push({ type: 'AddLearnerNode', nodeId: id });
  for (const id of cs.learnersNext ?? []) incoming.push({ type: 'AddLearnerNode', nodeId: id });

  let [cfg, prs] = start;
  const step = (f: (c: Changer) => [TrackerConfig, ProgressMap]): void => {
    [cfg, prs] = f(new Changer(cfg, prs, maxInflight, lastIndex));
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step((c) => c.simple([cc]));
  } else {
    for (const cc of outgoing) step((c) => c.simple([cc]));
    step((c) => c.enterJoint(cs.autoLeave === true, incoming));
  }
  return [cfg, prs];
}
