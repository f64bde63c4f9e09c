/**
 * The permission checks of each KV request as etcd makes them (`etcdserver/apply/apply_auth.go`):
 * a Put needs WRITE on its key (and READ with prev_kv), and WRITE on every key already attached to
 * its lease unless the user is an admin; a DeleteRange needs WRITE on its range (and READ with
 * prev_kv); a Txn needs READ on every compared range and the checks of every operation, nested
 * ones included. The API layer runs them for reads, the applier for writes.
 */
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../mvcc';
import type { AuthStore } from './auth-store';
import type { AuthInfo } from './types';

/** The keys attached to a lease, or undefined when there is no such lease. */
export type LeaseKeys = (id: bigint) => readonly Buffer[] | undefined;

/** LeaseKeys over a lessor (its `has` and `keysOf`). */
export function lessorLeaseKeys(lessor: { has(id: bigint): boolean; keysOf(id: bigint): readonly Buffer[] }): LeaseKeys {
  return (id) => (lessor.has(id) ? lessor.keysOf(id) : undefined);
}

const s = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));

/** etcd's checkLeasePuts: an admin may attach to any lease; others need WRITE on its keys. */
export function checkLeasePuts(as: AuthStore, ai: AuthInfo | undefined, leaseKeys: LeaseKeys, lease: bigint): void {
  const keys = leaseKeys(lease);
  if (keys === undefined) return;
  if (as.isAdmin(ai)) return;
  for (const k of keys) as.checkPut(ai, s(k));
}

export function checkPutAuth(as: AuthStore, ai: AuthInfo | undefined, leaseKeys: LeaseKeys, r: PutRequest): void {
  as.checkPut(ai, s(r.key));
  if (r.lease !== undefined && r.lease !== 0n) checkLeasePuts(as, ai, leaseKeys, r.lease);
  if (r.prev_kv === true) as.checkRange(ai, s(r.key), '');
}

export function checkRangeAuth(as: AuthStore, ai: AuthInfo | undefined, r: RangeRequest): void {
  as.checkRange(ai, s(r.key), s(r.range_end));
}

export function checkDeleteRangeAuth(as: AuthStore, ai: AuthInfo | undefined, r: DeleteRangeRequest): void {
  as.checkDeleteRange(ai, s(r.key), s(r.range_end));
  if (r.prev_kv === true) as.checkRange(ai, s(r.key), s(r.range_end));
}

function checkOps(as: AuthStore, ai: AuthInfo | undefined, leaseKeys: LeaseKeys, ops: readonly RequestOp[] | undefined): void {
  for (const op of ops ?? []) {
    switch (op.request) {
      case 'request_range':
        if (op.request_range !== undefined) checkRangeAuth(as, ai, op.request_range);
        break;
      case 'request_put':
        if (op.request_put !== undefined) checkPutAuth(as, ai, leaseKeys, op.request_put);
        break;
      case 'request_delete_range': {
        const d = op.request_delete_range;
        if (d === undefined) break;
        // etcd checks READ (with prev_kv) before WRITE here, the other order from DeleteRange.
        if (d.prev_kv === true) as.checkRange(ai, s(d.key), s(d.range_end));
        as.checkDeleteRange(ai, s(d.key), s(d.range_end));
        break;
      }
      case 'request_txn':
        if (op.request_txn !== undefined) checkTxnAuth(as, ai, leaseKeys, op.request_txn);
        break;
      default:
        break;
    }
  }
}

export function checkTxnAuth(as: AuthStore, ai: AuthInfo | undefined, leaseKeys: LeaseKeys, r: TxnRequest): void {
  for (const c of r.compare ?? []) as.checkRange(ai, s(c.key), s(c.range_end));
  checkOps(as, ai, leaseKeys, r.success);
  checkOps(as, ai, leaseKeys, r.failure);
}
