/**
 * Binary and JSON encodings of what the Ready loop persists: Raft entries, the hard state and
 * snapshot metadata. Ids are bigint and travel as decimal strings in JSON.
 */
import type { ConfState, Entry, HardState, EntryType } from '../../../raft';
import { Reader, varintSize, writeVarint } from '../../../encoding/varint';

/** A format-2 entry record (one key per entry): 6-byte term, 1-byte type, data. The index is in the key. */
export function decodeEntry(index: number, buf: Buffer): Entry {
  if (buf.length < 7) throw new Error(`Raft log entry ${index} is truncated`);
  return { index, term: buf.readUIntBE(0, 6), type: buf[6] as EntryType, data: buf.subarray(7) };
}

/**
 * A run of consecutive entries (log-runs.ts): per entry, varint data length, 6-byte term, 1-byte
 * type, data. The first entry's index is in the key; the others follow it.
 */
export function encodeRun(entries: readonly Entry[]): Buffer {
  let size = 0;
  for (const e of entries) size += varintSize(e.data.length) + 7 + e.data.length;
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const e of entries) {
    pos = writeVarint(buf, pos, e.data.length);
    buf.writeUIntBE(e.term, pos, 6);
    buf[pos + 6] = e.type;
    buf.set(e.data, pos + 7);
    pos += 7 + e.data.length;
  }
  return buf;
}

/** The entries of a run stored at `first` (their data are views into `buf`). */
export function decodeRun(first: number, buf: Buffer): Entry[] {
  const out: Entry[] = [];
  const r = new Reader(buf);
  while (r.pos < buf.length) {
    const len = r.varint();
    const at = r.pos;
    if (at + 7 + len > buf.length) throw new Error(`Raft log run at ${first} is truncated at entry ${first + out.length}`);
    out.push({
      index: first + out.length,
      term: buf.readUIntBE(at, 6),
      type: buf[at + 6] as EntryType,
      data: buf.subarray(at + 7, at + 7 + len),
    });
    r.pos = at + 7 + len;
  }
  return out;
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
