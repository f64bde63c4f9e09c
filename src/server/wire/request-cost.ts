/**
 * What a write request would add to the store, as etcd's quota estimates it
 * (`server/storage/quota.go`): a key's metadata estimate plus its key and value, the larger
 * branch of a Txn, a fixed cost per lease. The quota check (engine/alarm/quota.ts) compares it.
 */
import type { PutRequest, RequestOp, TxnRequest } from '../../mvcc';

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
