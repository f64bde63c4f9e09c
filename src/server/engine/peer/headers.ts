/**
 * Call metadata of the peer service (cluster-id, from, to; decimal uint64) and the receiver's
 * admission check, with etcd's error texts.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { wireMessage } from '../../wire/error-table';

export const ERR_MEMBER_REMOVED = 'the member has been permanently removed from the cluster';
export const ERR_TO_MISMATCH = 'raft member ID mismatch';
export const ERR_BAD_HEADER = 'peer call without a valid cluster-id/from header';

export function peerMetadata(clusterId: bigint, from: bigint, to?: bigint): Metadata {
  const md = new Metadata();
  md.set('cluster-id', clusterId.toString());
  md.set('from', from.toString());
  if (to !== undefined) md.set('to', to.toString());
  return md;
}

function decimal(md: Metadata, key: string): bigint | undefined {
  const v = md.get(key)[0];
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) return undefined;
  const n = BigInt(v);
  return n < 1n << 64n ? n : undefined;
}

export interface PeerError {
  code: status;
  details: string;
}

export interface Admission {
  clusterId: bigint;
  memberId: bigint;
  isRemoved(id: bigint): boolean;
}

/** Returns the sender's member id, or the error to refuse the call with. */
export function admit(md: Metadata, local: Admission): { from: bigint } | { error: PeerError } {
  const cid = decimal(md, 'cluster-id');
  const from = decimal(md, 'from');
  if (cid === undefined || from === undefined) return { error: { code: status.INVALID_ARGUMENT, details: ERR_BAD_HEADER } };
  if (cid !== local.clusterId) return { error: { code: status.FAILED_PRECONDITION, details: wireMessage('ClusterIDMismatch') } };
  if (local.isRemoved(from)) return { error: { code: status.FAILED_PRECONDITION, details: ERR_MEMBER_REMOVED } };
  const to = decimal(md, 'to');
  if (md.get('to').length > 0 && to !== local.memberId) {
    return { error: { code: status.FAILED_PRECONDITION, details: ERR_TO_MISMATCH } };
  }
  return { from };
}

/** Classification of a failed outgoing call, from its status. */
export function refusalKind(err: { code?: number; details?: string }): 'cluster-mismatch' | 'removed' | 'to-mismatch' | undefined {
  if (err.code !== status.FAILED_PRECONDITION) return undefined;
  if (err.details === wireMessage('ClusterIDMismatch')) return 'cluster-mismatch';
  if (err.details === ERR_MEMBER_REMOVED) return 'removed';
  if (err.details === ERR_TO_MISMATCH) return 'to-mismatch';
  return undefined;
}
