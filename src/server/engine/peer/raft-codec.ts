/**
 * raftpb.Message <-> protobuf bytes, wire-identical to `proto/raftpb/raft.proto` (proto2) and
 * byte-identical to the gogoproto marshaller of go.etcd.io/raft/v3 v3.6.0 (fields in ascending
 * number order, non-nullable scalars always written, `Data`/`Context` only when present,
 * repeated uint64 unpacked). Hand-written on top of `wire.ts` because this is the replication
 * hot path: one size pass, one allocation, one write pass; decoding returns zero-copy views of
 * entry data into the input buffer (keep the input alive / unmodified, as gRPC does).
 * Conformance against protobufjs loaded from raft.proto is in test/peer/raft-codec.test.ts.
 */
import {
  EMPTY_BYTES,
  type ConfState,
  type Entry,
  type EntryType,
  type Message,
  type MessageType,
  type Snapshot,
  type SnapshotMetadata,
} from '../../../raft/types';
import { Reader, WireError, lenPrefixed, varintSize, varintSizeBig, writeVarint, writeVarintBig } from '../../../encoding/varint';

// ---------- sizes ----------

export function entryBodySize(e: Entry): number {
  let n = 1 + varintSize(e.type) + 1 + varintSize(e.term) + 1 + varintSize(e.index);
  if (e.data.length > 0) n += 1 + lenPrefixed(e.data.length);
  return n;
}

function idsSize(ids: readonly bigint[] | undefined): number {
  if (ids === undefined) return 0;
  let n = 0;
  for (const id of ids) n += 1 + varintSizeBig(id);
  return n;
}

function confStateBodySize(c: ConfState): number {
  return idsSize(c.voters) + idsSize(c.learners) + idsSize(c.votersOutgoing) + idsSize(c.learnersNext) + 2;
}

function metadataBodySize(md: SnapshotMetadata): number {
  return 1 + lenPrefixed(confStateBodySize(md.confState)) + 1 + varintSize(md.index) + 1 + varintSize(md.term);
}

function snapshotBodySize(s: Snapshot): number {
  let n = 1 + lenPrefixed(metadataBodySize(s.metadata));
  if (s.data.length > 0) n += 1 + lenPrefixed(s.data.length);
  return n;
}

/** Encoded size of a raftpb.Message (without any outer length prefix). */
export function messageSize(m: Message): number {
  let n =
    1 +
    varintSize(m.type) +
    1 +
    varintSizeBig(m.to) +
    1 +
    varintSizeBig(m.from) +
    1 +
    varintSize(m.term) +
    1 +
    varintSize(m.logTerm) +
    1 +
    varintSize(m.index) +
    1 +
    varintSize(m.commit) +
    2 + // reject
    1 +
    varintSize(m.rejectHint) +
    2; // vote (always 0: etcd-ts keeps no vote in messages)
  const ents = m.entries;
  for (let i = 0; i < ents.length; i++) n += 1 + lenPrefixed(entryBodySize(ents[i]!));
  if (m.snapshot !== undefined) n += 1 + lenPrefixed(snapshotBodySize(m.snapshot));
  if (m.context !== undefined) n += 1 + lenPrefixed(m.context.length);
  return n;
}

// ---------- writers ----------

function writeEntry(buf: Uint8Array, pos: number, e: Entry): number {
  buf[pos++] = 0x08;
  pos = writeVarint(buf, pos, e.type);
  buf[pos++] = 0x10;
  pos = writeVarint(buf, pos, e.term);
  buf[pos++] = 0x18;
  pos = writeVarint(buf, pos, e.index);
  if (e.data.length > 0) {
    buf[pos++] = 0x22;
    pos = writeVarint(buf, pos, e.data.length);
    buf.set(e.data, pos);
    pos += e.data.length;
  }
  return pos;
}

function writeIds(buf: Uint8Array, pos: number, tag: number, ids: readonly bigint[] | undefined): number {
  if (ids === undefined) return pos;
  for (const id of ids) {
    buf[pos++] = tag;
    pos = writeVarintBig(buf, pos, id);
  }
  return pos;
}

function writeSnapshot(buf: Uint8Array, pos: number, s: Snapshot): number {
  if (s.data.length > 0) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, s.data.length);
    buf.set(s.data, pos);
    pos += s.data.length;
  }
  const md = s.metadata;
  buf[pos++] = 0x12;
  pos = writeVarint(buf, pos, metadataBodySize(md));
  const cs = md.confState;
  buf[pos++] = 0x0a;
  pos = writeVarint(buf, pos, confStateBodySize(cs));
  pos = writeIds(buf, pos, 0x08, cs.voters);
  pos = writeIds(buf, pos, 0x10, cs.learners);
  pos = writeIds(buf, pos, 0x18, cs.votersOutgoing);
  pos = writeIds(buf, pos, 0x20, cs.learnersNext);
  buf[pos++] = 0x28;
  buf[pos++] = cs.autoLeave === true ? 1 : 0;
  buf[pos++] = 0x10;
  pos = writeVarint(buf, pos, md.index);
  buf[pos++] = 0x18;
  pos = writeVarint(buf, pos, md.term);
  return pos;
}

/** Writes the body of `m` at `pos` (the caller sized `buf` with messageSize); returns the end. */
export function writeMessage(buf: Uint8Array, pos: number, m: Message): number {
  buf[pos++] = 0x08;
  pos = writeVarint(buf, pos, m.type);
  buf[pos++] = 0x10;
  pos = writeVarintBig(buf, pos, m.to);
  buf[pos++] = 0x18;
  pos = writeVarintBig(buf, pos, m.from);
  buf[pos++] = 0x20;
  pos = writeVarint(buf, pos, m.term);
  buf[pos++] = 0x28;
  pos = writeVarint(buf, pos, m.logTerm);
  buf[pos++] = 0x30;
  pos = writeVarint(buf, pos, m.index);
  const ents = m.entries;
  for (let i = 0; i < ents.length; i++) {
    const e = ents[i]!;
    buf[pos++] = 0x3a;
    pos = writeVarint(buf, pos, entryBodySize(e));
    pos = writeEntry(buf, pos, e);
  }
  buf[pos++] = 0x40;
  pos = writeVarint(buf, pos, m.commit);
  if (m.snapshot !== undefined) {
    buf[pos++] = 0x4a;
    pos = writeVarint(buf, pos, snapshotBodySize(m.snapshot));
    pos = writeSnapshot(buf, pos, m.snapshot);
  }
  buf[pos++] = 0x50;
  buf[pos++] = m.reject ? 1 : 0;
  buf[pos++] = 0x58;
  pos = writeVarint(buf, pos, m.rejectHint);
  if (m.context !== undefined) {
    buf[pos++] = 0x62;
    pos = writeVarint(buf, pos, m.context.length);
    buf.set(m.context, pos);
    pos += m.context.length;
  }
  buf[pos++] = 0x68;
  buf[pos++] = 0;
  return pos;
}

/** Encodes one raftpb.Message. */
export function encodeMessage(m: Message): Buffer {
  const size = messageSize(m);
  const buf = Buffer.allocUnsafe(size);
  const end = writeMessage(buf, 0, m);
  if (end !== size) throw new Error(`raft codec size mismatch: ${end} != ${size}`);
  return buf;
}

// ---------- readers ----------

function readIds(r: Reader, wireType: number, into: bigint[]): void {
  if (wireType === 0) {
    into.push(r.varintBig());
    return;
  }
  if (wireType !== 2) throw new WireError(`bad wire type ${wireType} for repeated uint64`);
  // Packed (accepted on input; proto2 writers do not produce it).
  const [s, e] = r.delimited();
  const inner = new Reader(r.buf, s, e);
  while (inner.pos < e) into.push(inner.varintBig());
}

function readConfState(r: Reader, end: number): ConfState {
  const voters: bigint[] = [];
  const learners: bigint[] = [];
  const votersOutgoing: bigint[] = [];
  const learnersNext: bigint[] = [];
  let autoLeave = false;
  while (r.pos < end) {
    const tag = r.varint();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1) readIds(r, wt, voters);
    else if (f === 2) readIds(r, wt, learners);
    else if (f === 3) readIds(r, wt, votersOutgoing);
    else if (f === 4) readIds(r, wt, learnersNext);
    else if (f === 5 && wt === 0) autoLeave = r.varint() !== 0;
    else r.skip(wt);
  }
  if (r.pos !== end) throw new WireError('conf state overruns its length');
  const cs: ConfState = { voters, learners };
  if (votersOutgoing.length > 0) cs.votersOutgoing = votersOutgoing;
  if (learnersNext.length > 0) cs.learnersNext = learnersNext;
  if (autoLeave) cs.autoLeave = true;
  return cs;
}

function readMetadata(r: Reader, end: number): SnapshotMetadata {
  const md: SnapshotMetadata = { confState: { voters: [], learners: [] }, index: 0, term: 0 };
  while (r.pos < end) {
    const tag = r.varint();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === 2) md.confState = readConfState(r, r.delimitedEnd());
    else if (f === 2 && wt === 0) md.index = r.varint();
    else if (f === 3 && wt === 0) md.term = r.varint();
    else r.skip(wt);
  }
  if (r.pos !== end) throw new WireError('snapshot metadata overruns its length');
  return md;
}

function readSnapshot(r: Reader, end: number): Snapshot {
  const s: Snapshot = { data: EMPTY_BYTES, metadata: { confState: { voters: [], learners: [] }, index: 0, term: 0 } };
  while (r.pos < end) {
    const tag = r.varint();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 1 && wt === 2) s.data = r.bytes();
    else if (f === 2 && wt === 2) s.metadata = readMetadata(r, r.delimitedEnd());
    else r.skip(wt);
  }
  if (r.pos !== end) throw new WireError('snapshot overruns its length');
  return s;
}

function readEntry(r: Reader, end: number): Entry {
  const e: Entry = { term: 0, index: 0, type: 0 as EntryType, data: EMPTY_BYTES };
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 0x08:
        e.type = r.varint() as EntryType;
        break;
      case 0x10:
        e.term = r.varint();
        break;
      case 0x18:
        e.index = r.varint();
        break;
      case 0x22:
        e.data = r.bytes();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (r.pos !== end) throw new WireError('entry overruns its length');
  return e;
}

/** Decodes a raftpb.Message body from buf[start, end). Entry/context/snapshot bytes are views. */
export function decodeMessageAt(buf: Uint8Array, start: number, end: number): Message {
  const r = new Reader(buf, start, end);
  const m: Message = {
    type: 0 as MessageType,
    to: 0n,
    from: 0n,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag) {
      case 0x08:
        m.type = r.varint() as MessageType;
        break;
      case 0x10:
        m.to = r.varintBig();
        break;
      case 0x18:
        m.from = r.varintBig();
        break;
      case 0x20:
        m.term = r.varint();
        break;
      case 0x28:
        m.logTerm = r.varint();
        break;
      case 0x30:
        m.index = r.varint();
        break;
      case 0x3a:
        m.entries.push(readEntry(r, r.delimitedEnd()));
        break;
      case 0x40:
        m.commit = r.varint();
        break;
      case 0x4a:
        m.snapshot = readSnapshot(r, r.delimitedEnd());
        break;
      case 0x50:
        m.reject = r.varint() !== 0;
        break;
      case 0x58:
        m.rejectHint = r.varint();
        break;
      case 0x62:
        m.context = r.bytes();
        break;
      default:
        // vote (13), responses (14, local-only) and unknown fields are skipped.
        r.skip(tag & 7);
    }
  }
  if (r.pos !== end) throw new WireError('message overruns its length');
  return m;
}

export function decodeMessage(buf: Uint8Array): Message {
  return decodeMessageAt(buf, 0, buf.length);
}
