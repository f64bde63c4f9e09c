/**
 * What the server-side Lock and Election services need from the member (MemberApi satisfies it
 * structurally): proposals, headers, linearizable reads of the store, and the watch hub to wait
 * for deletions (etcd runs these services as a clientv3 client of its own server).
 */
import type { MvccStore } from '../../../mvcc';
import type { RequestKind } from '../../wire/request-codec';
import type { WatchHub } from '../../engine/watch/hub';
import type { LeaseIdGenerator } from '../../engine/lease/ids';
import type { AuthInfo } from '../../../auth';
import type { MemberAuth } from '../../engine/auth/member-auth';

export interface LockHost {
  readonly memberId: bigint;
  readonly mvcc: MvccStore;
  readonly watchHub: WatchHub;
  readonly leaseIds: LeaseIdGenerator;
  propose<T>(kind: RequestKind, payload: Uint8Array, ai?: AuthInfo): Promise<T>;
  /** Users, roles and tokens: the recipes' key operations are checked as the caller's. */
  readonly auth: MemberAuth;
  waitApplied(index: number): Promise<void>;
  header(revision?: number): object;
  readBarrier(serializable: boolean): Promise<void> | undefined;
}
