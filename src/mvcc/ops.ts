/**
 * Put and DeleteRange executed inside a {@link WriteTxn} (etcd's txn.put / txn.deleteRange).
 * Lease existence is checked by the caller (its order differs between Put and Txn in etcd).
 */
import { EtcdError } from '../errors';
import { keyStr, toSpan } from './kv-index';
import type { DeleteRangeRequest, DeleteRangeResponse, KeyValue, PutRequest, PutResponse } from './types';
import { EMPTY_BUFFER } from './types';
import type { WriteTxn } from './write-txn';

/** A lease id as a signed 64-bit bigint (tolerates a number or decimal string; missing = 0). */
export function toLease(v: bigint | number | string | undefined | null): bigint {
  if (v === undefined || v === null) return 0n;
  return typeof v === 'bigint' && v === BigInt.asIntN(64, v) ? v : BigInt.asIntN(64, BigInt(v));
}

export function executePut(tw: WriteTxn, req: PutRequest): PutResponse {
  const ignoreValue = req.ignore_value === true;
  const ignoreLease = req.ignore_lease === true;
  let value = req.value ?? EMPTY_BUFFER;
  let lease = toLease(req.lease);
  let prev: KeyValue | undefined = undefined;
  if (ignoreValue || ignoreLease || req.prev_kv === true) {
    const ki = tw.index.get(keyStr(req.key));
    if (ki !== undefined && ki.isLive()) prev = ki.latest(tw.engine);
  }
  if (ignoreValue || ignoreLease) {
    if (prev === undefined) throw new EtcdError('KeyNotFound');
    if (ignoreValue) value = prev.value;
    if (ignoreLease) lease = prev.lease;
  }
  const revision = tw.put(req.key, value, lease);
  return req.prev_kv === true && prev !== undefined ? { revision, prev_kv: prev } : { revision };
}

export function executeDeleteRange(tw: WriteTxn, req: DeleteRangeRequest): DeleteRangeResponse {
  const kis = tw.liveIn(toSpan(req.key, req.range_end));
  const prevs = tw.deleteKeys(kis, req.prev_kv === true);
  const revision = kis.length !== 0 || tw.changed ? tw.beginRev + 1 : tw.beginRev;
  return { revision, deleted: kis.length, prev_kvs: prevs };
}
