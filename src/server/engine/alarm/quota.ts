/**
 * The backend quota (etcd `server/storage/quota.go`): what a request would add to the store, and
 * whether it still fits. etcd measures its bbolt file; etcd-ts measures the MVCC data it holds
 * (every kept revision's key and value, leases, alarms: LevelEngine.sizeBytes), which is the
 * same on every member and shrinks when a compaction removes old revisions.
 */
import type { PutRequest, RequestOp, TxnRequest } from '../../../mvcc';

/** etcd's estimate of a key's metadata. */
export const KV_OVERHEAD = 256;
/** etcd's estimate of a lease's cost. */
export const LEASE_OVERHEAD = 64;

export function costPut(r: Pick<PutRequest, 'key' | 'value'>): number {
  return KV_OVERHEAD + r.key.length + (r.value?.length ?? 0);
}

function costOp(op: RequestOp): number {
  if (op.request === 'request_put' && op.request_put) return costPut(op.request_put);
  if (op.request === 'request_txn' && op.request_txn) return costTxn(op.request_txn);
  return 0;
}

/** The larger of the two branches: only one of them runs. */
export function costTxn(r: Pick<TxnRequest, 'success' | 'failure'>): number {
  let success = 0;
  for (const op of r.success ?? []) success += costOp(op);
  let failure = 0;
  for (const op of r.failure ?? []) failure += costOp(op);
  return Math.max(success, failure);
}

export class Quota {
  /** `limitBytes`: Infinity for no quota (--quota-backend-bytes negative). */
  constructor(
    private readonly limitBytes: number,
    private readonly sizeBytes: () => number,
  ) {}

  /** Whether a request of this cost fits (a request that writes nothing always does). */
  available(cost: number): boolean {
    if (cost === 0) return true;
    return this.sizeBytes() + cost < this.limitBytes;
  }
}
