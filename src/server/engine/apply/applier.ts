/**
 * The state machine: applies committed Raft entries to the MVCC store and the membership, in
 * order, deterministically (every member computes the same result from the same entry: the
 * entry's bytes, decoded here on every member, the proposer included). The waiter of the member
 * that proposed an entry receives the result; other members only apply.
 *
 * Requests were validated before they were proposed; a request that still fails here fails with
 * the same typed error on every member (e.g. a compacted revision) and changes nothing. Any
 * other error is an ApplyError: the member stops (see raft-loop.ts), as etcd panics.
 */
import type { Logger } from 'pino';
import { EntryType, decodeConfChange, type ConfChange, type ConfState, type Entry } from '../../../raft';
import { isEtcdError } from '../../../errors';
import type { MvccStore, Event } from '../../../mvcc';
import type { Lessor } from '../../../lease';
import { applyLeaseEntry } from '../lease/apply';
import { decodeAuthed, decodeRequest, RequestKind } from '../../wire/request-codec';
import { kvRequestDecoder } from '../../wire/flat-decoder';
import {
  checkDeleteRangeAuth,
  checkLeasePuts,
  checkPutAuth,
  checkTxnAuth,
  lessorLeaseKeys,
  type AuthInfo,
  type LeaseKeys,
} from '../../../auth';
import type { MemberAuth } from '../auth/member-auth';
import { applyAuthRequest } from '../auth/apply-auth';
import { decodeAuthRequest } from '../../wire/auth-request';
import { decodeRevoke } from '../../wire/lease-codec';
import { DowngradeStore, type DowngradeInfo } from '../cluster/downgrade';
import type { WaitRegistry } from '../wait';
import { ApplyError, type StateMachine } from '../raft-loop-deps';
import { recordOps, type LevelEngine, type BatchOp } from '../storage/level-engine';
import { MEMBERS_KEY, MVCC_PREFIX } from '../storage/keys';
import { decodeStateBlob, encodeStateBlob } from '../snapshot/state-blob';
import type { Membership, Member } from '../cluster/membership';
import { method } from '../../wire/protos';
import { deleteRangeFromWire, putFromWire, txnFromWire, type Wire } from '../../wire/convert';
import { EtcdError } from '../../../errors';
import type { AlarmMember, AlarmStore } from '../alarm/alarm-store';
import { alarmTypeOf } from '../../wire/alarm-type';
import type { Quota } from '../alarm/quota';
import { costPut, costTxn, LEASE_OVERHEAD } from '../../wire/request-cost';
import { failpoint } from '../failpoints';

/** The replaceable part of the state machine (a snapshot install swaps the store). */
export interface StoreHolder {
  mvcc: MvccStore;
  /** Builds a store over the engine's current content (after a snapshot install). */
  reopen(): MvccStore;
}

export interface ApplierDeps {
  store: StoreHolder;
  lessor: Lessor;
  engine: LevelEngine;
  waits: WaitRegistry;
  /** High 16 bits of the request ids this member generates. */
  idHigh: number;
  membership: Membership;
  log: Logger;
  applyConfChange(cc: ConfChange): ConfState;
  onConfState(cs: ConfState): void;
  /** After a membership change is applied (transport peers, removal of this member). */
  onMembershipChange?(cc: ConfChange): void;
  /** A new leader's empty entry was applied (etcd promotes the lessor there). */
  onTermStarted?(term: number): void;
  /** Events of each new revision, in order (for watchers, later). */
  onEvents?(events: Event[]): void;
  /** A compaction was applied: its dropped records wait in the store's backlog. */
  onCompaction?(): void;
  alarms: AlarmStore;
  /** The backend quota: a write applied beyond it is answered NoSpace (etcd's quotaApplierV3). */
  quota: Quota;
  /** Users, roles and tokens: auth entries are applied to it, writes checked against it. */
  auth: MemberAuth;
  /** The wall clock (ms), for JWT expiry times. */
  now(): number;
}

export interface AlarmResult {
  alarms: AlarmMember[];
}

export interface CompactResult {
  revision: number;
}

/** A KV request's decoder: the one-pass one (wire/flat-decoder.ts), else proto-loader's. */
function kvDecoder(name: 'Put' | 'DeleteRange'): (buf: Buffer) => unknown {
  const fast = kvRequestDecoder(name, false);
  const general = method('etcdserverpb.KV', name).requestDeserialize;
  return (buf) => fast(buf) ?? general(buf);
}

const decoders = {
  put: () => kvDecoder('Put'),
  del: () => kvDecoder('DeleteRange'),
  txn: () => method('etcdserverpb.KV', 'Txn').requestDeserialize,
  compact: () => method('etcdserverpb.KV', 'Compact').requestDeserialize,
  alarm: () => method('etcdserverpb.Maintenance', 'Alarm').requestDeserialize,
};

export class Applier implements StateMachine {
  private readonly d: ApplierDeps;
  private readonly decodePut = decoders.put();
  private readonly decodeDel = decoders.del();
  private readonly decodeTxn = decoders.txn();
  private readonly decodeCompact = decoders.compact();
  private readonly decodeAlarm = decoders.alarm();
  private acks: (() => void)[] = [];
  private readonly leaseKeys: LeaseKeys;

  constructor(deps: ApplierDeps) {
    this.d = deps;
    this.leaseKeys = lessorLeaseKeys(deps.lessor);
  }

  applyEntry(e: Entry): void {
    if (e.type === EntryType.EntryConfChange) {
      this.applyConfChange(decodeConfChange(e.data));
      return;
    }
    if (e.type !== EntryType.EntryNormal) return;
    if (e.data.length === 0) {
      // The empty entry a new leader appends: on the leader, the lessor becomes primary now.
      this.d.onTermStarted?.(e.term);
      return;
    }
    const req = decodeRequest(e.data);
    const waiter = req.idHigh === this.d.idHigh ? this.d.waits.take(req.idLow) : undefined;
    let kind = req.kind;
    let payload = req.payload;
    let ai: AuthInfo | undefined;
    if (kind === RequestKind.Authed) {
      const a = decodeAuthed(payload);
      kind = a.kind;
      payload = a.payload;
      ai = { user: a.user, revision: a.revision };
    }
    let result: unknown;
    try {
      result = this.dispatch(kind, payload, ai, e.index);
    } catch (err) {
      // etcd's errors are outcomes every member reaches alike (and change nothing); anything
      // else may have left this entry half applied here: this member must not go on (etcd
      // panics). The Raft loop stops the member; a restart replays from the durable applied index.
      if (!isEtcdError(err)) throw new ApplyError(e.index, req.kind, err);
      if (waiter) this.acks.push(() => waiter.reject(err));
      return;
    }
    if (waiter) this.acks.push(() => waiter.resolve(result));
  }

  /** Applies one request from the log's bytes: every member, the proposer too, decodes the same payload. */
  private dispatch(kind: RequestKind, payload: Buffer, ai: AuthInfo | undefined, index: number): unknown {
    const d = this.d;
    const mvcc = d.store.mvcc;
    const as = d.auth.store;
    failpoint('applyEntry');
    switch (kind) {
      case RequestKind.Put: {
        const req = putFromWire(this.decodePut(payload) as Wire);
        if (as.enabled) checkPutAuth(as, ai, this.leaseKeys, req);
        return this.withinQuota(costPut(req), () => {
          const r = mvcc.put(req);
          if (r.events.length > 0) d.onEvents?.(r.events);
          return r;
        });
      }
      case RequestKind.DeleteRange: {
        const req = deleteRangeFromWire(this.decodeDel(payload) as Wire);
        if (as.enabled) checkDeleteRangeAuth(as, ai, req);
        const r = mvcc.deleteRange(req);
        if (r.events.length > 0) d.onEvents?.(r.events);
        return r;
      }
      case RequestKind.Txn: {
        const req = txnFromWire(this.decodeTxn(payload) as Wire);
        if (as.enabled) checkTxnAuth(as, ai, this.leaseKeys, req);
        return this.withinQuota(costTxn(req), () => {
          const r = mvcc.txn(req);
          if (r.events.length > 0) d.onEvents?.(r.events);
          return r;
        });
      }
      case RequestKind.Compaction: {
        // The index is compacted now; the records are deleted in the background (compaction-driver.ts).
        mvcc.compact(Number((this.decodeCompact(payload) as Wire).revision), true);
        d.onCompaction?.();
        return { revision: mvcc.currentRevision } satisfies CompactResult;
      }
      case RequestKind.LeaseGrant:
        return this.withinQuota(LEASE_OVERHEAD, () => applyLeaseEntry({ lessor: d.lessor, mvcc }, kind, payload)!);
      case RequestKind.Alarm:
        return this.applyAlarm(this.decodeAlarm(payload) as Wire);
      case RequestKind.LeaseRevoke:
      case RequestKind.LeaseCheckpoint: {
        if (kind === RequestKind.LeaseRevoke && as.enabled) checkLeasePuts(as, ai, this.leaseKeys, decodeRevoke(payload).id);
        const r = applyLeaseEntry({ lessor: d.lessor, mvcc }, kind, payload)!;
        if (r.events.length > 0) d.onEvents?.(r.events);
        return r;
      }
      case RequestKind.Auth:
        return applyAuthRequest({ store: as, tokens: d.auth.tokens, log: d.log, now: d.now }, decodeAuthRequest(payload), ai, index);
      case RequestKind.Downgrade:
        new DowngradeStore(d.engine).apply(JSON.parse(payload.toString('utf8')) as DowngradeInfo);
        return undefined;
      case RequestKind.PublishMember: {
        const o = JSON.parse(payload.toString('utf8')) as { id: string; name: string; clientURLs: string[] };
        d.membership.publish(BigInt(o.id), o.name, o.clientURLs);
        return undefined;
      }
      default:
        throw new Error(`unknown request kind ${kind as number}`);
    }
  }

  /**
   * A write that adds `cost` bytes, as etcd's appliers chain it: refused while a NOSPACE alarm is
   * raised (applierV3Capped); otherwise applied, and answered NoSpace if it did not fit the quota
   * (quotaApplierV3: the write stays applied, on every member alike).
   */
  private withinQuota<T>(cost: number, apply: () => T): T {
    if (cost > 0 && this.d.alarms.has('NOSPACE')) throw new EtcdError('NoSpace');
    const fits = this.d.quota.available(cost);
    const r = apply();
    if (!fits) throw new EtcdError('NoSpace');
    return r;
  }

  /** etcd's applierV3backend.Alarm: GET lists, ACTIVATE raises, DEACTIVATE clears. */
  private applyAlarm(w: Wire): AlarmResult {
    const d = this.d;
    const type = alarmTypeOf(w.alarm);
    const memberID = BigInt(String(w.memberID ?? '0'));
    switch (w.action) {
      case 'ACTIVATE': {
        if (type === undefined) return { alarms: [] };
        const { member, raised } = d.alarms.activate(memberID, type);
        if (raised && d.alarms.get(type).length === 1) d.log.warn({ alarm: type, from: memberID.toString(16) }, 'alarm raised');
        return { alarms: [member] };
      }
      case 'DEACTIVATE': {
        if (type === undefined) return { alarms: [] };
        const m = d.alarms.deactivate(memberID, type);
        if (m === undefined) return { alarms: [] };
        if (!d.alarms.has(type)) d.log.warn({ alarm: type, from: memberID.toString(16) }, 'alarm disarmed');
        return { alarms: [m] };
      }
      default:
        return { alarms: d.alarms.get(type) };
    }
  }

  private applyConfChange(cc: ConfChange): void {
    const cs = this.d.applyConfChange(cc);
    this.d.onConfState(cs);
    const id = cc.id ?? 0n;
    const waiter = id !== 0n && Number(id >> 48n) === this.d.idHigh ? this.d.waits.take(Number(id & 0xffffffffffffn)) : undefined;
    const ms = this.d.membership;
    switch (cc.type) {
      case 'AddNode':
      case 'AddLearnerNode': {
        const existing = ms.get(cc.nodeId);
        if (existing !== undefined) {
          if (cc.type === 'AddNode' && existing.isLearner) ms.promote(cc.nodeId);
          break;
        }
        if (cc.context && cc.context.length > 0) {
          const m = JSON.parse(Buffer.from(cc.context).toString('utf8')) as Omit<Member, 'id'> & { id: string };
          ms.add({ ...m, id: BigInt(m.id), isLearner: cc.type === 'AddLearnerNode' });
        }
        break;
      }
      case 'RemoveNode':
        ms.remove(cc.nodeId);
        break;
      case 'UpdateNode':
        if (cc.context && cc.context.length > 0) {
          const m = JSON.parse(Buffer.from(cc.context).toString('utf8')) as { peerURLs: string[] };
          ms.updatePeerURLs(cc.nodeId, m.peerURLs);
        }
        break;
    }
    this.d.onMembershipChange?.(cc);
    if (waiter) this.acks.push(() => waiter.resolve(undefined));
  }

  /** The state as of the current applied index, for a member behind the leader's log. */
  snapshotBlob(appliedIndex: number): Uint8Array {
    return encodeStateBlob({
      appliedIndex,
      members: this.d.membership.toJson(),
      records: Array.from(this.d.engine.entries(), ([k, v]) => [MVCC_PREFIX + k, v] as [string, Uint8Array]),
    });
  }

  /**
   * The writes that replace the whole state with a snapshot's, and the function that swaps the
   * in-memory state once those writes are durable.
   */
  prepareInstall(data: Uint8Array): { ops: BatchOp[]; appliedIndex: number; commit(): void } {
    const blob = decodeStateBlob(data);
    const ops: BatchOp[] = this.d.engine.deleteAllOps();
    const mvccRecords: [string, Uint8Array][] = [];
    for (const [k, v] of blob.records) {
      if (!k.startsWith(MVCC_PREFIX)) {
        ops.push({ type: 'put', key: k, value: v });
        continue;
      }
      const ek = k.slice(MVCC_PREFIX.length);
      for (const op of recordOps(ek, v)) ops.push(op);
      mvccRecords.push([ek, v]);
    }
    ops.push({ type: 'put', key: MEMBERS_KEY, value: Buffer.from(blob.members) });
    return {
      ops,
      appliedIndex: blob.appliedIndex,
      commit: () => {
        this.d.engine.reset(mvccRecords);
        this.d.store.mvcc = this.d.store.reopen();
        this.d.alarms.reload();
        this.d.auth.store.reload();
        this.d.auth.syncTokens();
        this.d.membership.replaceFrom(blob.members);
        this.d.membership.takeDirty();
      },
    };
  }

  /**
   * Answers the proposers of the entries applied since the last call. The loop calls this only
   * once the batch holding those entries' effects is durable: no client hears of a write that a
   * crash could still lose.
   */
  releaseAcks(): void {
    const acks = this.acks;
    this.acks = [];
    for (const a of acks) a();
  }

  settled(ops: readonly BatchOp[]): void {
    this.d.engine.settle(ops);
  }

  drainWrites(): BatchOp[] {
    const ops = this.d.engine.drain();
    const members = this.d.membership.takeDirty();
    if (members !== undefined) ops.push({ type: 'put', key: MEMBERS_KEY, value: Buffer.from(members) });
    return ops;
  }
}
