/**
 * One simulated server: a RawNode over a MemoryStorage that stands for its disk. A crash
 * discards everything but the storage (snapshot + hard state + entries); a restart rebuilds
 * the RawNode and the state machine from it.
 */
import {
  ConfState,
  EntryType,
  MemoryStorage,
  Message,
  RawNode,
  ReadState,
  decodeConfChange,
  decodeConfChangeV2,
  isRaftError,
} from '../../../src/raft';
import { Prng } from '../helpers/prng';
import { Checker } from './sim-checker';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface SimNodeConfig {
  preVote: boolean;
  checkQuorum: boolean;
  electionTick: number;
  heartbeatTick: number;
  maxSizePerMsg: number;
  maxInflight: number;
}

export class SimNode {
  raw: RawNode | undefined;
  /** The state machine: applied normal entries in order. */
  sm: string[] = [];
  appliedIndex = 0;
  confState: ConfState;
  removed = false;
  wasLeader = false;

  constructor(
    readonly id: bigint,
    readonly storage: MemoryStorage,
    private readonly cfg: SimNodeConfig,
    private readonly prng: Prng,
    initial: ConfState,
  ) {
    this.confState = initial;
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  start(): void {
    const snap = this.storage.snapshot();
    this.sm = snap.data.length > 0 ? dec.decode(snap.data).split('\n') : [];
    this.appliedIndex = snap.metadata.index;
    if (snap.metadata.index > 0) this.confState = snap.metadata.confState;
    this.wasLeader = false;
    this.raw = new RawNode({
      id: this.id,
      electionTick: this.cfg.electionTick,
      heartbeatTick: this.cfg.heartbeatTick,
      storage: this.storage,
      applied: snap.metadata.index,
      maxSizePerMsg: this.cfg.maxSizePerMsg,
      maxInflightMsgs: this.cfg.maxInflight,
      preVote: this.cfg.preVote,
      checkQuorum: this.cfg.checkQuorum,
      random: (n) => this.prng.int(n),
    });
  }

  crash(): void {
    this.raw = undefined;
  }

  private setConfState(cs: ConfState): void {
    this.confState = cs;
  }

  isMember(cs: ConfState): boolean {
    return [cs.voters, cs.learners, cs.votersOutgoing ?? []].some((s) => s.includes(this.id));
  }

  /** Handles one Ready in the mandated order. Returns the messages to send. */
  handleReady(checker: Checker, compactKeep: number | undefined): Message[] {
    const raw = this.raw!;
    const rd = raw.ready();
    if (rd.snapshot !== undefined) {
      this.storage.applySnapshot(rd.snapshot);
      this.sm = rd.snapshot.data.length > 0 ? dec.decode(rd.snapshot.data).split('\n') : [];
      this.appliedIndex = rd.snapshot.metadata.index;
      this.setConfState(rd.snapshot.metadata.confState);
    }
    this.storage.append(rd.entries);
    if (rd.hardState !== undefined) this.storage.setHardState(rd.hardState);
    if (rd.softState?.raftState === 'StateLeader') checker.newLeader(raw.raft);
    let confChanged = false;
    for (const e of rd.committedEntries) {
      if (e.index !== this.appliedIndex + 1) throw new Error(`node ${this.id} applies ${e.index} after ${this.appliedIndex}`);
      checker.applied(this.id, e);
      if (e.type === EntryType.EntryConfChange) this.setConfState(raw.applyConfChange(decodeConfChange(e.data)));
      else if (e.type === EntryType.EntryConfChangeV2) this.setConfState(raw.applyConfChange(decodeConfChangeV2(e.data)));
      if (e.type !== EntryType.EntryNormal) confChanged = true;
      else if (e.data.length > 0) this.sm.push(dec.decode(e.data));
      this.appliedIndex = e.index;
    }
    for (const rs of rd.readStates) this.onReadState(checker, rs);
    raw.advance(rd);
    // Like etcd, snapshots reflect the applied state (a new member must find itself in the
    // snapshot it is sent); compaction of the log is optional.
    if (compactKeep !== undefined) this.compact(compactKeep);
    else if (confChanged) this.compact(Number.POSITIVE_INFINITY);
    return rd.messages;
  }

  private onReadState(checker: Checker, rs: ReadState): void {
    checker.readState(this.id, rs);
  }

  private compact(keep: number): void {
    const snapIndex = this.storage.snapshot().metadata.index;
    if (this.appliedIndex <= snapIndex) return;
    this.storage.createSnapshot(this.appliedIndex, this.confState, enc.encode(this.sm.join('\n')));
    const to = this.appliedIndex - keep;
    if (to > this.storage.firstIndex()) this.storage.compact(to);
  }

  /** Calls f on the RawNode, swallowing ProposalDropped-like refusals. */
  tryDo(f: (raw: RawNode) => void): boolean {
    if (this.raw === undefined) return false;
    try {
      f(this.raw);
      return true;
    } catch (e) {
      if (isRaftError(e)) return false;
      throw e;
    }
  }
}
