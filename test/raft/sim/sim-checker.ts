/** Safety invariants checked during simulation. Violations throw with a description. */
import { Entry, EntryType, ReadState } from '../../../src/raft';
import { Raft } from '../../../src/raft/raft';

const dec = new TextDecoder();

function key(e: Entry): string {
  return `${e.term}/${e.type}/${dec.decode(e.data)}`;
}

export class Checker {
  /** Entries applied anywhere (hence committed), by index. */
  private committed = new Map<number, { term: number; key: string }>();
  maxCommitted = 0;
  private leaders = new Map<number, bigint>();
  /** ReadIndex requests: context -> minimum acceptable read index (max applied at issue time). */
  private reads = new Map<string, number>();
  readsAnswered = 0;
  writesAcked = 0;

  /** Election safety: at most one leader per term. */
  leader(term: number, id: bigint): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id) throw new Error(`election safety: term ${term} has leaders ${prev} and ${id}`);
    this.leaders.set(term, id);
  }

  leaderCount(): number {
    return this.leaders.size;
  }

  /** State machine safety: no two nodes apply different entries at the same index. */
  applied(node: bigint, e: Entry): void {
    const k = key(e);
    const prev = this.committed.get(e.index);
    if (prev === undefined) {
      this.committed.set(e.index, { term: e.term, key: k });
      if (e.index > this.maxCommitted) this.maxCommitted = e.index;
      if (e.type === EntryType.EntryNormal && e.data.length > 0) this.writesAcked++;
    } else if (prev.key !== k) {
      throw new Error(`state machine safety: node ${node} applied ${k} at ${e.index}, others applied ${prev.key}`);
    }
  }

  /** Leader completeness: a new leader's log holds every committed entry. */
  newLeader(r: Raft): void {
    const log = r.raftLog;
    if (log.lastIndex() < this.maxCommitted) {
      throw new Error(`leader completeness: leader ${r.id} term ${r.term} lastIndex ${log.lastIndex()} < committed ${this.maxCommitted}`);
    }
    for (let i = Math.max(log.firstIndex(), 1); i <= this.maxCommitted; i++) {
      const c = this.committed.get(i);
      if (c === undefined) continue;
      const t = log.zeroTerm(i);
      if (t !== c.term)
        throw new Error(`leader completeness: leader ${r.id} term ${r.term} has term ${t} at ${i}, committed term ${c.term}`);
    }
  }

  issueRead(ctx: string): void {
    this.reads.set(ctx, this.maxCommitted);
  }

  /** Linearizable reads: a read sees every write acknowledged before it was issued. */
  readState(node: bigint, rs: ReadState): void {
    const ctx = dec.decode(rs.requestCtx);
    const min = this.reads.get(ctx);
    if (min === undefined) return;
    if (rs.index < min) throw new Error(`linearizability: node ${node} read ${ctx} at index ${rs.index} < acknowledged ${min}`);
    this.reads.delete(ctx);
    this.readsAnswered++;
  }

  /** Log matching: if two logs agree on the term at an index, they agree on every earlier one. */
  static logMatching(a: Raft, b: Raft): void {
    const lo = Math.max(a.raftLog.firstIndex(), b.raftLog.firstIndex());
    const hi = Math.min(a.raftLog.lastIndex(), b.raftLog.lastIndex());
    let agreed = false;
    for (let i = hi; i >= lo; i--) {
      const ta = a.raftLog.zeroTerm(i);
      const tb = b.raftLog.zeroTerm(i);
      if (ta === tb) agreed = true;
      else if (agreed) throw new Error(`log matching: nodes ${a.id} and ${b.id} agree above ${i} but differ at ${i} (${ta} vs ${tb})`);
    }
  }
}
