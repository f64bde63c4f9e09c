/**
 * What the API layer (the gRPC services, the HTTP handler, the metrics) may use of a member: the
 * narrow, read-mostly view below. The services never see the Raft loop, the storage or the
 * applier; EtcdMember implements this interface, and the lint rules keep src/server/api to type
 * imports from src/server/engine.
 */
import type { MvccStore, RangeRequest } from '../../mvcc';
import type { AuthInfo } from '../../auth';
import type { MemberAuth } from './auth/member-auth';
import type { DowngradeInfo } from './cluster/downgrade';
import type { Config } from '../config/config';
import type { Header } from '../wire/convert';
import type { RequestKind } from '../wire/request-codec';
import type { AlarmResult } from './apply/applier';
import type { AlarmStore } from './alarm/alarm-store';
import type { Member } from './cluster/membership';
import type { AnswersInFlight } from './answers-in-flight';
import type { WatchHub } from './watch/hub';
import type { LeaseIdGenerator } from './lease/ids';

/** The Raft state a service reports (Status, headers, metrics, has-leader checks). */
export interface RaftView {
  /** The leader's id, 0n while there is none. */
  readonly lead: bigint;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly isLeader: boolean;
  readonly leaderChangesSeen: number;
  /** Set once the member failed for good (storage or apply error). */
  readonly failure: Error | undefined;
}

/** The applied membership, read side. */
export interface MembershipView {
  list(): Member[];
  get(id: bigint): Member | undefined;
}

/** Membership changes (etcdserverpb.Cluster), with etcd's strict reconfiguration checks. */
export interface ClusterReconfig {
  add(peerURLs: string[], isLearner: boolean): Promise<Member>;
  remove(id: bigint): Promise<void>;
  update(id: bigint, peerURLs: string[]): Promise<void>;
  promote(id: bigint): Promise<void>;
}

/** Proposals and read points: the request API every service uses. */
export interface MemberRequestApi {
  readonly memberId: bigint;
  readonly mvcc: MvccStore;
  /** A response header; `revision` defaults to the current store revision. */
  header(revision?: number): Header;
  /**
   * Proposes a request (its etcd protobuf bytes) and resolves with its apply result; `ai`, the
   * sender's credential, is checked when the entry is applied.
   */
  propose<T>(kind: RequestKind, payload: Uint8Array, ai?: AuthInfo): Promise<T>;
  /** Resolves once this member has applied the entry at `index`. */
  waitApplied(index: number): Promise<void>;

  /** Waits for a linearizable read point unless the read is serializable. */
  readBarrier(serializable: boolean): Promise<void> | undefined;
  /** Fails with NoSpace (raising the alarm) when a request of this cost would exceed the quota. */
  checkQuota(cost: number): Promise<never> | undefined;
  /** The generator of lease ids shared by every service that grants leases. */
  readonly leaseIds: LeaseIdGenerator;
}

export interface MemberApi extends MemberRequestApi {
  readonly config: Config;
  /** Users, roles and tokens. */
  readonly auth: MemberAuth;
  /** The keys attached to a lease, or undefined when there is no such lease (auth checks). */
  leaseKeys(id: bigint): readonly Buffer[] | undefined;
  readonly raft: RaftView;
  readonly membership: MembershipView;
  readonly reconfig: ClusterReconfig;
  readonly watchHub: WatchHub;
  readonly alarms: Pick<AlarmStore, 'get'>;
  /** Unary answers being sent (the interceptor counts them; the watch fan-out waits for them). */
  readonly answers: AnswersInFlight;
  readonly isLearner: boolean;
  /** Proposals waiting to be applied. */
  readonly pendingProposals: number;
  /** Bytes of MVCC data held (the quota's measure). */
  readonly storeBytes: number;
  /** A large range's encoded RangeResponse, read in chunks; undefined for the others (engine/bulk-range.ts). */
  rangeBulk(req: RangeRequest): Promise<Buffer> | undefined;
  /** Resolves once the applied compactions' records are deleted (Compact with physical). */
  compactionDone(): Promise<void>;
  /** The LevelDB engine's record cache (--value-cache-bytes): bytes held, hits and misses so far. */
  readonly valueCache: { bytes: number; hits: number; misses: number };
  /** An AlarmRequest (GET, ACTIVATE, DEACTIVATE) through Raft. */
  alarm(request: { action: string; memberID: string; alarm: string }): Promise<AlarmResult>;
  /** Hands leadership to `target` and resolves once it leads (etcd's MoveLeader). */
  moveLeader(target: bigint): Promise<void>;
  /**
   * The state as an etcd 3.6 backend (bbolt) file, a consistent cut at the applied index taken
   * now: its size, and its bytes in page order, produced as they are read.
   */
  backendSnapshot(): Promise<{ size: number; chunks: Iterator<Buffer>; close(): Promise<void> }>;
  /** etcd's Maintenance.Hash: a CRC-32C of the backend, equal on members with equal state. */
  backendHash(): Promise<number>;
  /** The cluster's downgrade job, as applied (Status, Maintenance.Downgrade). */
  readonly downgradeInfo: DowngradeInfo;
  /** Compacts the member's LevelDB files. */
  defragment(): Promise<void>;
}
