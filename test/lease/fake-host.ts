/**
 * A LeaseHost over a lessor and an MVCC store on one MemoryEngine, whose `propose` applies the
 * entry at once through the same apply functions the member's applier calls (decoding the
 * payload, as every member does). Leadership and term are fields; becoming leader (setting
 * `raft.isLeader` to true) also applies the new term's first entry at once, which is where the
 * member promotes its lessor (see src/server/engine/lease/role.ts).
 */
import { Lessor, type LessorConfig } from '../../src/lease';
import { MemoryEngine, MvccStore } from '../../src/mvcc';
import { RequestKind } from '../../src/server/wire/request-codec';
import { applyLeaseCheckpoint, applyLeaseGrant, applyLeaseRevoke } from '../../src/server/engine/lease/apply';
import { roleOf } from '../../src/server/engine/lease/role';
import { leaseIdsFor, type LeaseIdGenerator } from '../../src/server/engine/lease/ids';
import type { LeaseHost } from '../../src/server/engine/lease/host';
import { FakeClock } from './helpers';
import { disabledAuth } from '../helpers/auth';

export class FakeHost implements LeaseHost {
  readonly memberId = 0x8e9e05c52164694dn;
  readonly clock: FakeClock;
  readonly engine = new MemoryEngine();
  readonly lessor: Lessor;
  readonly mvcc: MvccStore;
  readonly raft: { isLeader: boolean; term: number };
  readonly config = { electionMs: 1000 };
  readonly proposals: { kind: RequestKind; payload: Buffer }[] = [];
  /** When set, proposals fail with this error. */
  failWith: Error | undefined;
  /** Auth as a fresh member has it: disabled. */
  readonly auth = disabledAuth();
  waitApplied(): Promise<void> {
    return Promise.resolve();
  }

  constructor(config: Partial<LessorConfig> = {}, clock = new FakeClock()) {
    this.clock = clock;
    this.lessor = new Lessor({ clock: clock.now, config: { minTtl: 2, ...config }, engine: this.engine });
    this.mvcc = new MvccStore(this.engine, { leaseExists: (id) => this.lessor.has(id) });
    let leading = false;
    const host = (): FakeHost => this;
    this.raft = {
      term: 2,
      get isLeader(): boolean {
        return leading;
      },
      set isLeader(v: boolean) {
        leading = v;
        if (v) roleOf(host()).termStarted(this.term);
        else roleOf(host()).sync();
      },
    };
    this.raft.isLeader = true;
  }

  get leaseIds(): LeaseIdGenerator {
    return leaseIdsFor(this.memberId);
  }

  leasePrimary(timeoutMs: number): Promise<boolean> {
    return roleOf(this).primary(timeoutMs);
  }

  propose<T>(kind: RequestKind, payload: Uint8Array): Promise<T> {
    const buf = Buffer.from(payload);
    this.proposals.push({ kind, payload: buf });
    if (this.failWith) return Promise.reject(this.failWith);
    try {
      const s = { lessor: this.lessor, mvcc: this.mvcc };
      let r: { events: import('../../src/mvcc').Event[] };
      if (kind === RequestKind.LeaseGrant) r = applyLeaseGrant(s, buf);
      else if (kind === RequestKind.LeaseRevoke) r = applyLeaseRevoke(s, buf);
      else if (kind === RequestKind.LeaseCheckpoint) r = applyLeaseCheckpoint(s, buf);
      else throw new Error(`FakeHost: unexpected kind ${kind}`);
      this.lessor.onEvents(r.events);
      return Promise.resolve(r as T);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  header(revision?: number): object {
    return {
      cluster_id: '1',
      member_id: this.memberId.toString(),
      revision: revision ?? this.mvcc.currentRevision,
      raft_term: this.raft.term,
    };
  }

  /** A put applied as the applier would (events followed by the lessor). */
  put(key: string, value: string, lease = 0n): number {
    const r = this.mvcc.put({ key: Buffer.from(key), value: Buffer.from(value), lease });
    this.lessor.onEvents(r.events);
    return r.response.revision;
  }
}
