/**
 * The request API of a member (what the services call): response headers, proposals through the
 * Raft log with a waiter per request, membership-change proposals, the quota check and
 * linearizable read points. EtcdMember (member.ts) adds the wiring and the lifecycle.
 */
import type { ConfChange } from '../../raft';
import type { MvccStore } from '../../mvcc';
import { EtcdError } from '../../errors';
import type { Config } from '../config/config';
import { encodeAuthed, encodeRequest, RequestKind, type RequestIdGenerator } from '../wire/request-codec';
import type { AuthInfo } from '../../auth';
import type { Header } from '../wire/convert';
import { method } from '../wire/protos';
import type { StoreHolder, AlarmResult } from './apply/applier';
import type { RaftLoop } from './raft-loop';
import type { WaitRegistry } from './wait';
import type { Quota } from './alarm/quota';
import { leaseIdsFor, type LeaseIdGenerator } from './lease/ids';
import type { MemberRequestApi } from './member-api';
import type { EngineStats } from './stats';

/** Bytes etcd's InternalRaftRequest (header with request id, op field) adds to a request. */
const INTERNAL_REQUEST_OVERHEAD = 17;

export interface RequestParts {
  memberId: bigint;
  clusterId: bigint;
  store: StoreHolder;
  loop: RaftLoop;
  waits: WaitRegistry;
  quota: Quota;
  ids: RequestIdGenerator;
  stats: EngineStats;
}

export class MemberRequests implements MemberRequestApi {
  readonly config: Config;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly loop: RaftLoop;
  readonly quota: Quota;
  protected readonly store: StoreHolder;
  protected readonly waits: WaitRegistry;
  protected readonly ids: RequestIdGenerator;
  /** What the engine reports for metrics. */
  readonly stats: EngineStats;
  protected readonly memberIdStr: string;
  private readonly clusterIdStr: string;
  private readonly requestTimeoutMs: number;

  constructor(config: Config, parts: RequestParts) {
    this.config = config;
    this.memberId = parts.memberId;
    this.clusterId = parts.clusterId;
    this.store = parts.store;
    this.loop = parts.loop;
    this.waits = parts.waits;
    this.quota = parts.quota;
    this.ids = parts.ids;
    this.stats = parts.stats;
    this.memberIdStr = this.memberId.toString();
    this.clusterIdStr = this.clusterId.toString();
    this.requestTimeoutMs = 5000 + 2 * config.electionMs;
  }

  /** The MVCC store (replaced when a snapshot from the leader is installed). */
  get mvcc(): MvccStore {
    return this.store.mvcc;
  }

  /** Proposals waiting to be applied (etcd_server_proposals_pending). */
  get pendingProposals(): number {
    return this.waits.size;
  }

  get leaseIds(): LeaseIdGenerator {
    return leaseIdsFor(this.memberId);
  }

  /** A response header; `revision` defaults to the current store revision. */
  header(revision?: number): Header {
    return {
      cluster_id: this.clusterIdStr,
      member_id: this.memberIdStr,
      revision: revision ?? this.mvcc.currentRevision,
      raft_term: this.loop.term,
    };
  }

  /**
   * Proposes a request (`payload`: its etcd protobuf encoding, as the client sent it) and
   * resolves with its apply result. Every member, this one included, applies the log's bytes.
   */
  propose<T>(kind: RequestKind, payload: Uint8Array, ai?: AuthInfo): Promise<T> {
    // The sender's credential travels with the request (etcd's RequestHeader username and
    // auth_revision); the applier checks it on every member.
    if (ai !== undefined) {
      payload = encodeAuthed(kind, ai.user, ai.revision, payload);
      kind = RequestKind.Authed;
    }
    const id = this.ids.next();
    const data = encodeRequest(kind, this.ids.high, id, payload);
    // etcd compares the marshaled InternalRaftRequest, 17 bytes larger than the client's message.
    if (payload.length + INTERNAL_REQUEST_OVERHEAD > this.config.maxRequestBytes) return Promise.reject(new EtcdError('RequestTooLarge'));
    const p = this.waits.register<T>(id, performance.now() + this.requestTimeoutMs);
    try {
      this.loop.propose(data);
    } catch (e) {
      this.waits.take(id);
      this.stats.proposalFailed();
      return Promise.reject(e);
    }
    return p;
  }

  /** An AlarmRequest (GET, ACTIVATE, DEACTIVATE) through Raft, as etcd sends every one. */
  alarm(request: { action: string; memberID: string; alarm: string }): Promise<AlarmResult> {
    const payload = method('etcdserverpb.Maintenance', 'Alarm').requestSerialize(request);
    return this.propose<AlarmResult>(RequestKind.Alarm, payload);
  }

  /**
   * etcd's quotaAlarmer.check, before a Put, Txn or LeaseGrant is proposed: a request that would
   * take the store over the quota raises NOSPACE for this member and fails with NoSpace.
   * Returns undefined when the request fits.
   */
  checkQuota(cost: number): Promise<never> | undefined {
    if (this.quota.available(cost)) return undefined;
    const fail = (): never => {
      throw new EtcdError('NoSpace');
    };
    return this.alarm({ action: 'ACTIVATE', memberID: this.memberIdStr, alarm: 'NOSPACE' }).then(fail, fail);
  }

  /**
   * Proposes a membership change and resolves once it is applied on this member. The change's
   * id carries a waiter id, as a request's does.
   */
  proposeConfChange(cc: Omit<ConfChange, 'id'>): Promise<void> {
    const low = this.ids.next();
    const id = (BigInt(this.ids.high) << 48n) | BigInt(low);
    const p = this.waits.register<void>(low, performance.now() + this.requestTimeoutMs);
    try {
      this.loop.proposeConfChange({ ...cc, id });
    } catch (e) {
      this.waits.take(low);
      return Promise.reject(e);
    }
    return p;
  }

  /** Resolves once this member has applied the entry at `index`. */
  waitApplied(index: number): Promise<void> {
    return this.loop.waitApplied(index);
  }

  /** Waits for a linearizable read point unless the read is serializable. */
  readBarrier(serializable: boolean): Promise<void> | undefined {
    if (serializable) return undefined;
    return this.loop.linearizableBarrier();
  }
}
