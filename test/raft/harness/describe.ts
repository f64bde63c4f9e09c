/** Human-readable renderings of raft values for transcripts (test-only). */
import {
  ConfChangeSingle,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  MessageType,
  Ready,
  Snapshot,
  decodeConfChange,
  decodeConfChangeV2,
} from '../../../src/raft';

const dec = new TextDecoder();

function ids(xs: bigint[] | undefined): string {
  return '[' + (xs ?? []).join(' ') + ']';
}

export function describeConfState(cs: ConfState): string {
  let s = `Voters:${ids(cs.voters)} VotersOutgoing:${ids(cs.votersOutgoing)} Learners:${ids(cs.learners)} LearnersNext:${ids(cs.learnersNext)}`;
  s += ` AutoLeave:${cs.autoLeave === true}`;
  return s;
}

export function describeChanges(chs: ConfChangeSingle[]): string {
  const p: Record<string, string> = { AddNode: 'v', AddLearnerNode: 'l', RemoveNode: 'r', UpdateNode: 'u' };
  return chs.map((c) => `${p[c.type]}${c.nodeId}`).join(' ');
}

export function describeEntry(e: Entry): string {
  let body: string;
  switch (e.type) {
    case EntryType.EntryNormal:
      body = `EntryNormal ${JSON.stringify(dec.decode(e.data))}`;
      break;
    case EntryType.EntryConfChange: {
      const cc = decodeConfChange(e.data);
      body = `EntryConfChange ${describeChanges([{ type: cc.type, nodeId: cc.nodeId }])}`;
      break;
    }
    case EntryType.EntryConfChangeV2: {
      const cc = decodeConfChangeV2(e.data);
      const t = cc.transition === 'Auto' ? '' : ` (${cc.transition})`;
      body = `EntryConfChangeV2${cc.changes.length > 0 ? ' ' + describeChanges(cc.changes) : ''}${t}`;
      break;
    }
  }
  return `${e.term}/${e.index} ${body}`;
}

export function describeEntries(ents: Entry[]): string {
  return ents.map(describeEntry).join(', ');
}

export function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.metadata.index} Term:${s.metadata.term} ConfState:${describeConfState(s.metadata.confState)}`;
}

export function describeMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${MessageType[m.type]} Term:${m.term} Log:${m.logTerm}/${m.index}`;
  if (m.reject) s += ` Rejected (Hint: ${m.rejectHint})`;
  if (m.commit !== 0) s += ` Commit:${m.commit}`;
  if (m.entries.length > 0) s += ` Entries:[${describeEntries(m.entries)}]`;
  if (m.context !== undefined && m.context.length > 0) s += ` Context:${JSON.stringify(dec.decode(m.context))}`;
  if (m.snapshot !== undefined) s += ` Snapshot: ${describeSnapshot(m.snapshot)}`;
  return s;
}

export function describeReady(rd: Ready): string[] {
  const out: string[] = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState !== undefined) out.push(`Lead:${rd.softState.lead} State:${rd.softState.raftState}`);
  if (rd.hardState !== undefined) out.push(describeHardState(rd.hardState));
  if (rd.readStates.length > 0) {
    out.push('ReadStates:');
    for (const rs of rd.readStates) out.push(`Index:${rs.index} Ctx:${JSON.stringify(dec.decode(rs.requestCtx))}`);
  }
  if (rd.entries.length > 0) {
    out.push('Entries:');
    for (const e of rd.entries) out.push(describeEntry(e));
  }
  if (rd.snapshot !== undefined) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.committedEntries.length > 0) {
    out.push('CommittedEntries:');
    for (const e of rd.committedEntries) out.push(describeEntry(e));
  }
  if (rd.messages.length > 0) {
    out.push('Messages:');
    for (const m of rd.messages) out.push(describeMessage(m));
  }
  return out;
}
