import { toConfChangeV2 } from './confchange';
import { encodeConfChange, encodeConfChangeV2 } from './confchange-codec';
import { RaftConfig, resolveConfig } from './config';
import { RaftError } from './errors';
import { Raft, SoftState } from './raft';
import { Ready, mustSync } from './ready';
import { BasicStatus, Status, basicStatusOf, statusOf } from './status';
import {
  ConfChange,
  ConfChangeV2,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  emptyHardState,
  hardStateEqual,
  isLocalMsg,
  isResponseMsg,
  newMessage,
} from './types';

export type SnapshotStatus = 'finish' | 'failure';

/**
 * A raft node driven synchronously by its caller: feed it `tick()`, `step(m)`, proposals, then
 * drain `ready()` and call `advance(rd)`.
 *
 * THE CALLER'S CONTRACT (SEE `Ready` FOR DETAILS):
 *  - ONE THREAD OF CONTROL: NEVER CALL INTO A RAWNODE CONCURRENTLY.
 *  - FOR EACH READY: PERSIST snapshot, hardState AND entries FIRST; THEN SEND messages; THEN APPLY
 *    committedEntries IN ORDER (CALLING applyConfChange FOR CONF CHANGE ENTRIES); THEN CALL
 *    advance(rd). NEVER CALL ready() TWICE WITHOUT advance() IN BETWEEN.
 *  - A BRAND-NEW CLUSTER IS STARTED WITH bootstrap(peers) ON AN EMPTY STORAGE; A RESTARTED NODE
 *    IS CONSTRUCTED ON A STORAGE HOLDING ITS PERSISTED SNAPSHOT, HARD STATE AND ENTRIES.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;

  constructor(config: RaftConfig) {
    this.raft = new Raft(resolveConfig(config));
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /**
   * Starts a brand-new cluster whose initial voters are `peers` (etcd's Bootstrap). The storage
   * must be empty. The first Ready carries one committed EntryConfChange (AddNode) per peer at
   * term 1, which the caller persists and applies like any other. A node can campaign (or win
   * by election timeout) only after those entries are applied, i.e. after the first Ready is
   * handled; a single voter then becomes leader at once on `campaign()`.
   */
  bootstrap(peers: bigint[]): void {
    if (peers.length === 0) throw new Error('must provide at least one peer to Bootstrap');
    if (this.raft.raftLog.storage.lastIndex() !== 0) throw new Error("can't bootstrap a nonempty Storage");
    this.prevHardState = emptyHardState();
    this.raft.becomeFollower(1, 0n);
    const ents: Entry[] = peers.map((id, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.EntryConfChange,
      data: encodeConfChange({ type: 'AddNode', nodeId: id }),
    }));
    this.raft.raftLog.append(ents);
    // The bootstrap entries are committed by fiat; they are applied (again) through the Ready.
    this.raft.raftLog.committed = ents.length;
    for (const id of peers) this.raft.applyConfChange(toConfChangeV2({ type: 'AddNode', nodeId: id }));
  }

  /** Advances the logical clock by one tick (election and heartbeat timeouts are in ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Makes this node campaign for leadership now (respecting pre-vote if enabled). */
  campaign(): void {
    this.raft.step(newMessage({ type: MessageType.MsgHup }));
  }

  /**
   * Proposes data to be appended to the log. Throws RaftError('ProposalDropped') when there is
   * no known leader, forwarding is disabled, or a leader transfer is in progress. A proposal
   * accepted here may still be lost (e.g. leader change); callers retry on a timeout.
   */
  propose(data: Uint8Array): void {
    this.raft.step(
      newMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data }] }),
    );
  }

  /** Proposes many entries in one message (one append, one broadcast). */
  proposeBatch(datas: Uint8Array[]): void {
    if (datas.length === 0) return;
    const entries: Entry[] = datas.map((data) => ({ term: 0, index: 0, type: EntryType.EntryNormal, data }));
    this.raft.step(newMessage({ type: MessageType.MsgProp, from: this.raft.id, entries }));
  }

  /** Proposes a membership change; it takes effect when the entry is applied (applyConfChange). */
  proposeConfChange(cc: ConfChange | ConfChangeV2): void {
    const entry: Entry =
      'changes' in cc
        ? { term: 0, index: 0, type: EntryType.EntryConfChangeV2, data: encodeConfChangeV2(cc) }
        : { term: 0, index: 0, type: EntryType.EntryConfChange, data: encodeConfChange(cc) };
    this.raft.step(newMessage({ type: MessageType.MsgProp, from: this.raft.id, entries: [entry] }));
  }

  /** Applies a committed conf change to the raft configuration; returns the new ConfState. */
  applyConfChange(cc: ConfChange | ConfChangeV2): ConfState {
    return this.raft.applyConfChange(toConfChangeV2(cc));
  }

  /** Feeds a message received from a peer. */
  step(m: Message): void {
    if (isLocalMsg(m.type)) throw new RaftError('StepLocalMsg');
    if (this.raft.prs.progress.has(m.from) || !isResponseMsg(m.type)) {
      this.raft.step(m);
      return;
    }
    throw new RaftError('StepPeerNotFound');
  }

  /**
   * Requests a linearizable read point. The answer arrives as a ReadState with the same context
   * in a later Ready (possibly never, e.g. on leader loss: callers time out and retry).
   */
  readIndex(ctx: Uint8Array): void {
    this.raft.step(
      newMessage({ type: MessageType.MsgReadIndex, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: ctx }] }),
    );
  }

  /** Asks the leader to hand leadership to `transferee` (no-op if unknown or a learner). */
  transferLeader(transferee: bigint): void {
    this.raft.step(newMessage({ type: MessageType.MsgTransferLeader, from: transferee }));
  }

  /** Forgets the current leader (a follower then waits for the next heartbeat or times out). */
  forgetLeader(): void {
    if (this.raft.state === 'StateFollower') this.raft.lead = 0n;
  }

  reportUnreachable(id: bigint): void {
    this.raft.step(newMessage({ type: MessageType.MsgUnreachable, from: id }));
  }

  reportSnapshot(id: bigint, status: SnapshotStatus): void {
    this.raft.step(newMessage({ type: MessageType.MsgSnapStatus, from: id, reject: status === 'failure' }));
  }

  hasReady(): boolean {
    const r = this.raft;
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.raftState !== this.prevSoftState.raftState) return true;
    const hs = r.hardState();
    if (!(hs.term === 0 && hs.vote === 0n && hs.commit === 0) && !hardStateEqual(hs, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstable.entries.length > 0 || r.raftLog.hasNextEnts()) return true;
    return r.readStates.length > 0;
  }

  /** Returns the pending work (see `Ready` for the mandatory handling order). */
  ready(): Ready {
    const r = this.raft;
    const rd: Ready = {
      readStates: r.readStates,
      entries: r.raftLog.unstableEntries(),
      committedEntries: r.raftLog.nextEnts(),
      messages: r.msgs,
      mustSync: false,
    };
    const ss = r.softState();
    if (ss.lead !== this.prevSoftState.lead || ss.raftState !== this.prevSoftState.raftState) {
      rd.softState = ss;
      this.prevSoftState = ss;
    }
    const hs = r.hardState();
    if (!hardStateEqual(hs, this.prevHardState)) rd.hardState = hs;
    const snap = r.raftLog.unstable.snapshot;
    if (snap !== undefined) rd.snapshot = snap;
    rd.mustSync = mustSync(hs, this.prevHardState, rd.entries.length);
    r.msgs = [];
    r.readStates = [];
    return rd;
  }

  /** Acknowledges that a Ready was fully handled (persisted, sent, applied). */
  advance(rd: Ready): void {
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    let applied = 0;
    if (rd.committedEntries.length > 0) applied = rd.committedEntries[rd.committedEntries.length - 1]!.index;
    else if (rd.snapshot !== undefined) applied = rd.snapshot.metadata.index;
    const lastEntry = rd.entries.length > 0 ? rd.entries[rd.entries.length - 1] : undefined;
    this.raft.advance(applied, lastEntry, rd.snapshot?.metadata.index ?? 0);
  }

  status(): Status {
    return statusOf(this.raft);
  }

  basicStatus(): BasicStatus {
    return basicStatusOf(this.raft);
  }
}
