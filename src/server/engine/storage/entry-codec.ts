/**
 * Binary and JSON encodings of what the Ready loop persists: Raft entries, the hard state and
 * snapshot metadata. Ids are bigint and travel as decimal strings in JSON.
 */
import type { ConfState, Entry, HardState, EntryType } from '../../../raft';

/** Entry record: 6-byte term, 1-byte type, data. The index is in the key. */
export function encodeEntry(e: Entry): Buffer {
  const data = e.data;
  const buf = Buffer.allocUnsafe(7 + data.length);
  buf.writeUIntBE(e.term, 0, 6);
  buf[6] = e.type;
  buf.set(data, 7);
  return buf;
}

export function decodeEntry(index: number, buf: Buffer): Entry {
  return { index, term: buf.readUIntBE(0, 6), type: buf[6] as EntryType, data: buf.subarray(7) };
}

export function encodeHardState(hs: HardState): Buffer {
  return Buffer.from(JSON.stringify({ term: hs.term, vote: hs.vote.toString(), commit: hs.commit }));
}

export function decodeHardState(buf: Buffer): HardState {
  const o = JSON.parse(buf.toString('utf8')) as { term: number; vote: string; commit: number };
  return { term: o.term, vote: BigInt(o.vote), commit: o.commit };
}

export interface SnapshotMeta {
  index: number;
  term: number;
  confState: ConfState;
}

interface ConfStateJson {
  voters: string[];
  learners: string[];
  votersOutgoing?: string[];
  learnersNext?: string[];
  autoLeave?: boolean;
}

export function confStateToJson(cs: ConfState): ConfStateJson {
  const out: ConfStateJson = {
    voters: cs.voters.map(String),
    learners: cs.learners.map(String),
  };
  if (cs.votersOutgoing?.length) out.votersOutgoing = cs.votersOutgoing.map(String);
  if (cs.learnersNext?.length) out.learnersNext = cs.learnersNext.map(String);
  if (cs.autoLeave) out.autoLeave = true;
  return out;
}

export function confStateFromJson(o: ConfStateJson): ConfState {
  const cs: ConfState = { voters: o.voters.map(BigInt), learners: o.learners.map(BigInt) };
  if (o.votersOutgoing) cs.votersOutgoing = o.votersOutgoing.map(BigInt);
  if (o.learnersNext) cs.learnersNext = o.learnersNext.map(BigInt);
  if (o.autoLeave) cs.autoLeave = true;
  return cs;
}

export function encodeSnapshotMeta(m: SnapshotMeta): Buffer {
  return Buffer.from(JSON.stringify({ index: m.index, term: m.term, confState: confStateToJson(m.confState) }));
}

export function decodeSnapshotMeta(buf: Buffer): SnapshotMeta {
  const o = JSON.parse(buf.toString('utf8')) as { index: number; term: number; confState: ConfStateJson };
  return { index: o.index, term: o.term, confState: confStateFromJson(o.confState) };
}
