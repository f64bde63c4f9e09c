/**
 * The lock recipe of etcd's `concurrency.Mutex`, run inside the server as etcd's v3lock service
 * runs it (`v3lock/lock.go`): the owner key is `name/<lease hex>`, created with the lease if
 * absent; the lock is held when it is the prefix's oldest key; otherwise wait until every older
 * key is deleted (watching the next older one each time), then check the own key still exists.
 * A failed or cancelled wait deletes the own key.
 */
import { EtcdError } from '../../../errors';
import type { KvOps } from './kv-ops';
import { createRevIs, opGet, opGetFirstCreate, opPut, recipeKeys } from './wire';

/** concurrency.ErrSessionExpired. */
export const ERR_SESSION_EXPIRED = 'mutex: session is expired';

/** clientv3's default session TTL, for a Lock without a lease. */
export const DEFAULT_SESSION_TTL = 60;

export async function acquire(ops: KvOps, name: Buffer, lease: bigint, signal: AbortSignal): Promise<{ header: object; key: Buffer }> {
  if (lease === 0n) lease = await ops.grantLease(DEFAULT_SESSION_TTL);
  const { prefix, key } = recipeKeys(name, lease);
  const r = await ops.txn({
    compare: [createRevIs(key, 0)],
    success: [opPut(key, Buffer.alloc(0), lease), opGetFirstCreate(prefix)],
    failure: [opGet(key), opGetFirstCreate(prefix)],
  });
  const myRev = r.succeeded ? r.revision : r.responses[0]!.response_range!.kvs[0]!.create_revision;
  const owner = r.responses[1]!.response_range!.kvs;
  if (owner.length === 0 || owner[0]!.create_revision === myRev) return { header: ops.header(r.revision), key };
  try {
    await ops.waitDeletes(prefix, myRev - 1, signal);
  } catch (e) {
    await ops.deleteKey(key).catch(() => undefined);
    throw e;
  }
  const g = await ops.range({ key });
  if (g.kvs.length === 0) throw new Error(ERR_SESSION_EXPIRED);
  if (signal.aborted) throw new EtcdError('Canceled');
  return { header: ops.header(g.revision), key };
}
