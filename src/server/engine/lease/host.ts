/**
 * What the lease service and the expiry driver need from the member. EtcdMember satisfies it
 * structurally once it owns a `lessor`; tests provide a small fake.
 */
import type { Lessor, LeaseId } from '../../../lease';
import type { RequestKind } from '../../wire/request-codec';
import type { LeaseIdGenerator } from './ids';
import type { AuthInfo } from '../../../auth';
import type { MemberAuth } from '../auth/member-auth';

export interface LeaseHost {
  readonly memberId: bigint;
  readonly lessor: Lessor;
  readonly raft: { readonly isLeader: boolean; readonly term: number };
  readonly config: { readonly electionMs: number };
  /** The member's lease ids (shared by every service that grants leases). */
  readonly leaseIds: LeaseIdGenerator;
  /** Whether this member serves as the lease primary; a new leader waits (at most `timeoutMs`) for its term's first entry. */
  leasePrimary(timeoutMs: number): Promise<boolean>;
  /** Proposes an entry and resolves with its apply result (see EtcdMember.propose); `ai` is the sender's credential. */
  propose<T>(kind: RequestKind, payload: Uint8Array, ai?: AuthInfo): Promise<T>;
  /** Users, roles and tokens (the lease RPCs' permission checks). */
  readonly auth: MemberAuth;
  /** Resolves once the member has applied the entry at `index`. */
  waitApplied(index: number): Promise<void>;
  /** The backend quota check before a grant (EtcdMember.checkQuota); absent means no quota. */
  checkQuota?(cost: number): Promise<never> | undefined;
  /** A response header; revision defaults to the current store revision. */
  header(revision?: number): object;
  /**
   * Optional forwarding of leader-only requests from a follower to the leader (etcd's
   * leasehttp). Without it a follower answers keepalives and TimeToLive with NoLeader.
   */
  forwardRenew?(id: LeaseId): Promise<number>;
  forwardTimeToLive?(id: LeaseId, keys: boolean): Promise<{ ttl: number; grantedTtl: number; keys: Buffer[] } | undefined>;
}
