/**
 * Raft wire and storage types, mirroring etcd's `raftpb` so a transport can encode them with
 * protobuf field-for-field. Numeric enums keep etcd's numbering. Node ids are `bigint`;
 * terms and indexes are `number` (they never approach 2^53 in practice).
 */

/** No node: the id of "no leader" and "no vote" (etcd-io/raft's `None`). */
export const NONE = 0n;

export enum MessageType {
  MsgHup = 0,
  MsgBeat = 1,
  MsgProp = 2,
  MsgApp = 3,
  MsgAppResp = 4,
  MsgVote = 5,
  MsgVoteResp = 6,
  MsgSnap = 7,
  MsgHeartbeat = 8,
  MsgHeartbeatResp = 9,
  MsgUnreachable = 10,
  MsgSnapStatus = 11,
  MsgCheckQuorum = 12,
  MsgTransferLeader = 13,
  MsgTimeoutNow = 14,
  MsgReadIndex = 15,
  MsgReadIndexResp = 16,
  MsgPreVote = 17,
  MsgPreVoteResp = 18,
}

export enum EntryType {
  EntryNormal = 0,
  EntryConfChange = 1,
  EntryConfChangeV2 = 2,
}

export interface Entry {
  term: number;
  index: number;
  type: EntryType;
  data: Uint8Array;
}

export interface HardState {
  term: number;
  vote: bigint;
  commit: number;
}

export interface ConfState {
  voters: bigint[];
  learners: bigint[];
  /** Voters of the outgoing configuration while in a joint configuration. */
  votersOutgoing?: bigint[];
  /** Voters that become learners when the joint configuration is left. */
  learnersNext?: bigint[];
  autoLeave?: boolean;
}

export interface SnapshotMetadata {
  confState: ConfState;
  index: number;
  term: number;
}

export interface Snapshot {
  data: Uint8Array;
  metadata: SnapshotMetadata;
}

export interface Message {
  type: MessageType;
  to: bigint;
  from: bigint;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  context?: Uint8Array;
}

export type ConfChangeType = 'AddNode' | 'RemoveNode' | 'UpdateNode' | 'AddLearnerNode';

/** Numeric values of ConfChangeType on the wire (raftpb.ConfChangeType). */
export const ConfChangeTypeCode: Record<ConfChangeType, number> = {
  AddNode: 0,
  RemoveNode: 1,
  UpdateNode: 2,
  AddLearnerNode: 3,
};

/** A single membership change (raftpb.ConfChange, "V1"). */
export interface ConfChange {
  type: ConfChangeType;
  nodeId: bigint;
  context?: Uint8Array;
  /** Opaque id carried on the wire by etcd (raftpb.ConfChange.ID); unused by raft. */
  id?: bigint;
}

export interface ConfChangeSingle {
  type: ConfChangeType;
  nodeId: bigint;
}

/**
 * How a ConfChangeV2 is carried out. 'Auto' uses joint consensus only when more than one change
 * is requested, and leaves the joint state automatically; 'Implicit' and 'Explicit' always use
 * joint consensus, leaving it automatically ('Implicit') or by an empty ConfChangeV2 ('Explicit').
 */
export type ConfChangeTransition = 'Auto' | 'JointImplicit' | 'JointExplicit';

export interface ConfChangeV2 {
  transition: ConfChangeTransition;
  changes: ConfChangeSingle[];
  context?: Uint8Array;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

export function emptyHardState(): HardState {
  return { term: 0, vote: 0n, commit: 0 };
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0n && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export function emptySnapshot(): Snapshot {
  return { data: EMPTY_BYTES, metadata: { confState: { voters: [], learners: [] }, index: 0, term: 0 } };
}

export function isEmptySnapshot(s: Snapshot | undefined): boolean {
  return s === undefined || s.metadata.index === 0;
}

/** Builds a Message with defaults for every field not given. */
export function newMessage(fields: Partial<Message> & { type: MessageType }): Message {
  return {
    type: fields.type,
    to: fields.to ?? 0n,
    from: fields.from ?? 0n,
    term: fields.term ?? 0,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? [],
    commit: fields.commit ?? 0,
    snapshot: fields.snapshot,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context,
  };
}

/** True for messages that are responses (they never carry a vote or a proposal). */
export function isResponseMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgAppResp ||
    t === MessageType.MsgVoteResp ||
    t === MessageType.MsgHeartbeatResp ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgPreVoteResp
  );
}

/** True for messages created locally that must never arrive from the network. */
export function isLocalMsg(t: MessageType): boolean {
  return (
    t === MessageType.MsgHup ||
    t === MessageType.MsgBeat ||
    t === MessageType.MsgUnreachable ||
    t === MessageType.MsgSnapStatus ||
    t === MessageType.MsgCheckQuorum
  );
}

export function voteRespMsgType(t: MessageType): MessageType {
  if (t === MessageType.MsgVote) return MessageType.MsgVoteResp;
  if (t === MessageType.MsgPreVote) return MessageType.MsgPreVoteResp;
  throw new Error(`not a vote message: ${MessageType[t]}`);
}

/** Approximate wire size of an entry, used for message and Ready size limits. */
export function entrySize(e: Entry): number {
  return e.data.length + 12;
}

export function entriesSize(ents: readonly Entry[]): number {
  let s = 0;
  for (const e of ents) s += entrySize(e);
  return s;
}

/**
 * Returns the longest prefix of `ents` whose total size does not exceed `maxSize`, but always at
 * least one entry.
 */
export function limitSize(ents: Entry[], maxSize: number): Entry[] {
  if (ents.length === 0) return ents;
  let size = entrySize(ents[0]!);
  let limit = 1;
  for (; limit < ents.length; limit++) {
    size += entrySize(ents[limit]!);
    if (size > maxSize) break;
  }
  return limit === ents.length ? ents : ents.slice(0, limit);
}
