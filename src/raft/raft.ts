import { Changer, enterJoint, leaveJoint, restoreConfState } from './confchange';
import { RaftLogger, ResolvedConfig } from './config';
import { RaftError, isRaftError } from './errors';
import { Progress } from './progress';
import { jointIds, sortedIds, VoteResult } from './quorum';
import { RaftLog } from './raft-log';
import { ReadOnly, ReadState } from './read-only';
import { handleAppendEntries, handleHeartbeat, handleSnapshot } from './follower-handlers';
import { stepCandidate, stepFollower } from './step-follower';
import { campaignTransferCtx, checkTerm, handleVoteRequest } from './step-vote';
import { stepLeader } from './step-leader';
import { ProgressMap, ProgressTracker, TrackerConfig, formatTrackerConfig } from './tracker';
import {
  ConfChangeV2,
  ConfState,
  EMPTY_BYTES,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  NONE,
  Snapshot,
  newMessage,
  voteRespMsgType,
} from './types';

export type StateType = 'StateFollower' | 'StateCandidate' | 'StateLeader' | 'StatePreCandidate';

export interface SoftState {
  lead: bigint;
  raftState: StateType;
}

export type CampaignType = 'CampaignPreElection' | 'CampaignElection' | 'CampaignTransfer';

type StepFunc = (r: Raft, m: Message) => void;

/** The raft state machine. Driven by RawNode; everything here is deterministic. */
export class Raft {
  readonly id: bigint;
  term = 0;
  vote: bigint = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly maxMsgSize: number;
  prs: ProgressTracker;
  state: StateType = 'StateFollower';
  isLearner = false;
  msgs: Message[] = [];
  lead: bigint = NONE;
  leadTransferee: bigint = NONE;
  /** Index of the last pending (unapplied) conf change; only one may be in flight. */
  pendingConfIndex = 0;
  readOnly: ReadOnly;
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  readonly stepDownOnRemoval: boolean;
  /** ReadIndex requests received before this leader committed an entry in its term. */
  pendingReadIndexMessages: Message[] = [];
  readonly logger: RaftLogger | undefined;
  private readonly random: (n: number) => number;
  private tickFn: () => void;
  private stepFn: StepFunc;

  constructor(c: ResolvedConfig) {
    this.id = c.id;
    this.raftLog = new RaftLog(c.storage, c.maxCommittedSizePerReady);
    this.maxMsgSize = c.maxSizePerMsg;
    this.prs = new ProgressTracker(c.maxInflightMsgs);
    this.readOnly = new ReadOnly(c.readOnlyOption);
    this.checkQuorum = c.checkQuorum;
    this.preVote = c.preVote;
    this.heartbeatTimeout = c.heartbeatTick;
    this.electionTimeout = c.electionTick;
    this.disableProposalForwarding = c.disableProposalForwarding;
    this.stepDownOnRemoval = c.stepDownOnRemoval;
    this.logger = c.logger;
    this.random = c.random;
    this.tickFn = () => this.tickElection();
    this.stepFn = stepFollower;

    const { hardState, confState } = c.storage.initialState();
    const [cfg, prs] = restoreConfState(confState, this.prs.maxInflight, this.raftLog.lastIndex(), [this.prs.config, this.prs.progress]);
    this.switchToConfig(cfg, prs);
    if (!(hardState.term === 0 && hardState.vote === NONE && hardState.commit === 0)) this.loadState(hardState);
    if (c.applied > 0) this.raftLog.appliedTo(c.applied);
    this.becomeFollower(this.term, NONE);
    this.info(
      `newRaft ${this.id} [peers: [${this.prs.voterNodes().join(',')}], term: ${this.term}, commit: ${this.raftLog.committed}, applied: ${this.raftLog.applied}, lastindex: ${this.raftLog.lastIndex()}, lastterm: ${this.raftLog.lastTerm()}]`,
    );
  }

  info(msg: string): void {
    this.logger?.info(msg);
  }

  hasLeader(): boolean {
    return this.lead !== NONE;
  }

  softState(): SoftState {
    return { lead: this.lead, raftState: this.state };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  /** Queues a message for sending; fills in from (unless set) and (for most types) term. */
  send(m: Message): void {
    // Forwarded messages (MsgProp, MsgTransferLeader, MsgReadIndex) keep their origin.
    if (m.from === NONE) m.from = this.id;
    const t = m.type;
    if (t === MessageType.MsgVote || t === MessageType.MsgVoteResp || t === MessageType.MsgPreVote || t === MessageType.MsgPreVoteResp) {
      if (m.term === 0) throw new Error(`term should be set when sending ${MessageType[t]}`);
    } else {
      if (m.term !== 0) throw new Error(`term should not be set when sending ${MessageType[t]} (was ${m.term})`);
      // Proposals and ReadIndex requests forwarded to the leader are treated like local messages.
      if (t !== MessageType.MsgProp && t !== MessageType.MsgReadIndex) m.term = this.term;
    }
    this.msgs.push(m);
  }

  sendAppend(to: bigint): void {
    this.maybeSendAppend(to, true);
  }

  /**
   * Sends an append (or a snapshot when the needed entries are compacted) to `to` if its
   * progress allows. Returns whether a message was sent.
   */
  maybeSendAppend(to: bigint, sendIfEmpty: boolean): boolean {
    const pr = this.prs.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    let term = 0;
    let ents: Entry[] = [];
    let failed = false;
    try {
      term = this.raftLog.term(pr.next - 1);
      // A throttled follower in Replicate (full inflights) only gets an empty append: it will be
      // acked or rejected, clearing the inflights even if every in-flight append was lost.
      if (pr.state !== 'Replicate' || !pr.inflights.full()) ents = this.raftLog.entries(pr.next, this.maxMsgSize);
    } catch (e) {
      if (!isRaftError(e)) throw e;
      failed = true;
    }
    if (!failed && ents.length === 0 && !sendIfEmpty) return false;
    if (failed) return this.maybeSendSnapshot(to, pr);
    this.send(
      newMessage({ type: MessageType.MsgApp, to, index: pr.next - 1, logTerm: term, entries: ents, commit: this.raftLog.committed }),
    );
    pr.updateOnEntriesSend(ents.length, ents.length > 0 ? ents[ents.length - 1]!.index : 0);
    return true;
  }

  private maybeSendSnapshot(to: bigint, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger?.debug(`ignore sending snapshot to ${to} since it is not recently active`);
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (e) {
      if (isRaftError(e, 'SnapshotTemporarilyUnavailable')) {
        this.logger?.debug(`${this.id} failed to send snapshot to ${to} because snapshot is temporarily unavailable`);
        return false;
      }
      throw e;
    }
    if (snapshot.metadata.index === 0) throw new Error('need non-empty snapshot');
    const sindex = snapshot.metadata.index;
    this.info(
      `${this.id} [firstindex: ${this.raftLog.firstIndex()}, commit: ${this.raftLog.committed}] sent snapshot[index: ${sindex}, term: ${snapshot.metadata.term}] to ${to} [${pr.toString()}]`,
    );
    pr.becomeSnapshot(sindex);
    this.send(newMessage({ type: MessageType.MsgSnap, to, snapshot }));
    return true;
  }

  sendHeartbeat(to: bigint, ctx: Uint8Array | undefined): void {
    const pr = this.prs.progress.get(to)!;
    // A follower may not have the leader's committed entries yet; never tell it to commit past match.
    const commit = Math.min(pr.match, this.raftLog.committed);
    const m = newMessage({ type: MessageType.MsgHeartbeat, to, commit });
    if (ctx !== undefined && ctx.length > 0) m.context = ctx;
    this.send(m);
  }

  bcastAppend(): void {
    this.prs.visit((id) => {
      if (id !== this.id) this.sendAppend(id);
    });
  }

  bcastHeartbeat(): void {
    this.bcastHeartbeatWithCtx(this.readOnly.lastPendingRequestCtx());
  }

  bcastHeartbeatWithCtx(ctx: Uint8Array | undefined): void {
    this.prs.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, ctx);
    });
  }

  /** Called by RawNode.advance once the Ready's entries are persisted and committed entries applied. */
  advance(appliedCursor: number, lastEntry: Entry | undefined, snapIndex: number): void {
    if (appliedCursor > 0) {
      this.raftLog.appliedTo(Math.max(appliedCursor, this.raftLog.applied));
      if (this.prs.config.autoLeave && this.raftLog.applied >= this.pendingConfIndex && this.state === 'StateLeader') {
        // The joint configuration was entered with auto-leave: propose leaving it now. This can
        // be refused during a leader transfer; it is retried on every later advance.
        try {
          this.step(
            newMessage({
              type: MessageType.MsgProp,
              from: this.id,
              entries: [{ term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: EMPTY_BYTES }],
            }),
          );
          this.info(`initiating automatic transition out of joint configuration ${formatTrackerConfig(this.prs.config)}`);
        } catch (e) {
          if (!isRaftError(e)) throw e;
          this.logger?.debug(`not initiating automatic transition out of joint configuration: ${e.message}`);
        }
      }
    }
    if (lastEntry !== undefined) this.raftLog.stableTo(lastEntry.index, lastEntry.term);
    if (snapIndex > 0) this.raftLog.stableSnapTo(snapIndex);
  }

  /** Advances the commit index to what a quorum has acknowledged (current-term entries only). */
  maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.prs.committed(), this.term);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.prs.resetVotes();
    const last = this.raftLog.lastIndex();
    const maxInflight = this.prs.maxInflight;
    for (const [id, pr] of this.prs.progress) {
      const np = new Progress(last + 1, maxInflight, pr.isLearner);
      if (id === this.id) np.match = last;
      this.prs.progress.set(id, np);
    }
    this.pendingConfIndex = 0;
    this.readOnly = new ReadOnly(this.readOnly.option);
    this.pendingReadIndexMessages = [];
  }

  /**
   * Appends entries to the leader's log. The leader's own progress is updated immediately, so a
   * single-voter cluster commits in the same Ready that carries the entries (which the caller
   * persists before applying).
   */
  appendEntry(es: Entry[]): void {
    let li = this.raftLog.lastIndex();
    // Fresh objects: a proposal message may be delivered twice and must never alias log entries.
    const ents: Entry[] = new Array<Entry>(es.length);
    for (let i = 0; i < es.length; i++) {
      const e = es[i]!;
      ents[i] = { term: this.term, index: ++li, type: e.type, data: e.data };
    }
    li = this.raftLog.append(ents);
    this.prs.progress.get(this.id)?.maybeUpdate(li);
    this.maybeCommit();
  }

  tick(): void {
    this.tickFn();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgHup, from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(newMessage({ type: MessageType.MsgCheckQuorum, from: this.id }));
      // A leader transfer that did not finish within an election timeout is abandoned.
      if (this.state === 'StateLeader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.state !== 'StateLeader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(newMessage({ type: MessageType.MsgBeat, from: this.id }));
    }
  }

  becomeFollower(term: number, lead: bigint): void {
    this.stepFn = stepFollower;
    this.reset(term);
    this.tickFn = () => this.tickElection();
    this.lead = lead;
    this.state = 'StateFollower';
    this.info(`${this.id} became follower at term ${this.term}`);
  }

  becomeCandidate(): void {
    if (this.state === 'StateLeader') throw new Error('invalid transition [leader -> candidate]');
    this.stepFn = stepCandidate;
    this.reset(this.term + 1);
    this.tickFn = () => this.tickElection();
    this.vote = this.id;
    this.state = 'StateCandidate';
    this.info(`${this.id} became candidate at term ${this.term}`);
  }

  becomePreCandidate(): void {
    if (this.state === 'StateLeader') throw new Error('invalid transition [leader -> pre-candidate]');
    // Pre-candidacy changes neither the term nor the vote.
    this.stepFn = stepCandidate;
    this.prs.resetVotes();
    this.tickFn = () => this.tickElection();
    this.lead = NONE;
    this.state = 'StatePreCandidate';
    this.info(`${this.id} became pre-candidate at term ${this.term}`);
  }

  becomeLeader(): void {
    if (this.state === 'StateFollower') throw new Error('invalid transition [follower -> leader]');
    this.stepFn = stepLeader;
    this.reset(this.term);
    this.tickFn = () => this.tickHeartbeat();
    this.lead = this.id;
    this.state = 'StateLeader';
    const self = this.prs.progress.get(this.id)!;
    self.becomeReplicate();
    self.recentActive = true;
    // Conservatively treat any unapplied entry as a possible conf change.
    this.pendingConfIndex = this.raftLog.lastIndex();
    this.appendEntry([{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES }]);
    this.info(`${this.id} became leader at term ${this.term}`);
  }

  /** Starts an election unless this node is leader, not promotable, or has unapplied conf changes. */
  hup(t: CampaignType): void {
    if (this.state === 'StateLeader') {
      this.logger?.debug(`${this.id} ignoring MsgHup because already leader`);
      return;
    }
    if (!this.promotable()) {
      this.logger?.warn(`${this.id} is unpromotable and can not campaign`);
      return;
    }
    if (this.raftLog.committed > this.raftLog.applied && this.hasUnappliedConfChange()) {
      this.logger?.warn(`${this.id} cannot campaign at term ${this.term} since there are still pending configuration changes to apply`);
      return;
    }
    this.info(`${this.id} is starting a new election at term ${this.term}`);
    this.campaign(t);
  }

  private hasUnappliedConfChange(): boolean {
    const ents = this.raftLog.slice(this.raftLog.applied + 1, this.raftLog.committed + 1, Number.MAX_SAFE_INTEGER);
    return ents.some((e) => e.type !== EntryType.EntryNormal);
  }

  campaign(t: CampaignType): void {
    let term: number;
    let voteMsg: MessageType;
    if (t === 'CampaignPreElection') {
      this.becomePreCandidate();
      voteMsg = MessageType.MsgPreVote;
      // Pre-vote RPCs are sent for the next term before we've incremented r.term.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteMsg = MessageType.MsgVote;
      term = this.term;
    }
    if (this.poll(this.id, voteRespMsgType(voteMsg), true) === 'VoteWon') {
      // Single-voter cluster: won outright.
      if (t === 'CampaignPreElection') this.campaign('CampaignElection');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    for (const id of sortedIds(jointIds(this.prs.config.voters))) {
      if (id === this.id) continue;
      this.info(
        `${this.id} [logterm: ${lastTerm}, index: ${lastIndex}] sent ${MessageType[voteMsg]} request to ${id} at term ${this.term}`,
      );
      const m = newMessage({ type: voteMsg, to: id, term, index: lastIndex, logTerm: lastTerm });
      if (t === 'CampaignTransfer') m.context = campaignTransferCtx();
      this.send(m);
    }
  }

  poll(id: bigint, t: MessageType, v: boolean): VoteResult {
    if (v) this.info(`${this.id} received ${MessageType[t]} from ${id} at term ${this.term}`);
    else this.info(`${this.id} received ${MessageType[t]} rejection from ${id} at term ${this.term}`);
    this.prs.recordVote(id, v);
    const { granted, rejected, result } = this.prs.tallyVotes();
    this.info(`${this.id} has received ${granted} ${MessageType[t]} votes and ${rejected} vote rejections`);
    return result;
  }

  /** Entry point for every message, local or remote. Throws RaftError('ProposalDropped') etc. */
  step(m: Message): void {
    if (!checkTerm(this, m)) return;
    switch (m.type) {
      case MessageType.MsgHup:
        this.hup(this.preVote ? 'CampaignPreElection' : 'CampaignElection');
        return;
      case MessageType.MsgVote:
      case MessageType.MsgPreVote:
        handleVoteRequest(this, m);
        return;
      default:
        this.stepFn(this, m);
    }
  }

  handleAppendEntries(m: Message): void {
    handleAppendEntries(this, m);
  }

  handleHeartbeat(m: Message): void {
    handleHeartbeat(this, m);
  }

  handleSnapshot(m: Message): void {
    handleSnapshot(this, m);
  }

  /** Whether this node may become leader: a voter with no snapshot pending application. */
  promotable(): boolean {
    const pr = this.prs.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  applyConfChange(cc: ConfChangeV2): ConfState {
    const changer = new Changer(this.prs.config, this.prs.progress, this.prs.maxInflight, this.raftLog.lastIndex());
    let res: [TrackerConfig, ProgressMap];
    if (leaveJoint(cc)) res = changer.leaveJoint();
    else {
      const j = enterJoint(cc);
      res = j.use ? changer.enterJoint(j.autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(res[0], res[1]);
  }

  /** Installs a new configuration and reacts to it (commit, appends, stepping down). */
  switchToConfig(cfg: TrackerConfig, prs: ProgressMap): ConfState {
    this.prs.config = cfg;
    this.prs.progress = prs;
    this.info(`${this.id} switched to configuration ${formatTrackerConfig(cfg)}`);
    const cs = this.prs.confState();
    const pr = this.prs.progress.get(this.id);
    this.isLearner = pr !== undefined && pr.isLearner;
    if ((pr === undefined || this.isLearner) && this.state === 'StateLeader') {
      // This leader was removed or demoted. By default it stays leader (dropping proposals) so
      // that the commit index, including that of its own removal, still reaches the others;
      // otherwise a joint configuration could be left with nobody able to commit its exit.
      if (this.stepDownOnRemoval) this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.state !== 'StateLeader' || cs.voters.length === 0) return cs;
    if (this.maybeCommit()) {
      // The quorum shrank: entries may now be committed.
      this.bcastAppend();
    } else {
      // Probe newly added followers right away.
      this.prs.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !jointIds(this.prs.config.voters).has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }

  loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new Error(`${this.id} state.commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`);
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random(this.electionTimeout);
  }

  sendTimeoutNow(to: bigint): void {
    this.send(newMessage({ type: MessageType.MsgTimeoutNow, to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTerm(this.raftLog.committed) === this.term;
  }

  /** Answers a ReadIndex request locally (readStates) or with a MsgReadIndexResp to a follower. */
  responseToReadIndexReq(req: Message, readIndex: number): Message | undefined {
    if (req.from === NONE || req.from === this.id) {
      this.readStates.push({ index: readIndex, requestCtx: req.entries[0]!.data });
      return undefined;
    }
    return newMessage({ type: MessageType.MsgReadIndexResp, to: req.from, index: readIndex, entries: req.entries });
  }

  /** Throws RaftError for proposals that cannot be accepted. */
  dropProposal(reason: string): never {
    this.logger?.debug(`${this.id} dropped proposal: ${reason}`);
    throw new RaftError('ProposalDropped', reason);
  }
}
