/**
 * Payloads of the lease entries in the Raft log (after the [kind][id] header, see
 * request-codec.ts):
 *   LeaseGrant       etcdserverpb.LeaseGrantRequest protobuf, with the ID already chosen
 *   LeaseRevoke      etcdserverpb.LeaseRevokeRequest protobuf
 *   LeaseCheckpoint  JSON {"checkpoints":[{"ID":"<decimal int64>","remaining_TTL":<seconds>}]}
 *                    (an internal command: no client sends it)
 * and their decoded forms, which the proposer hands to its own applier directly.
 */
import type { Checkpoint, LeaseId } from '../../lease';
import { method } from './protos';

export interface GrantRequest {
  id: LeaseId;
  ttl: number;
}

export interface RevokeRequest {
  id: LeaseId;
}

export interface CheckpointRequest {
  checkpoints: Checkpoint[];
}

type Wire = Record<string, unknown>;

let grantCodec: ReturnType<typeof method> | undefined;
let revokeCodec: ReturnType<typeof method> | undefined;
const grant = (): ReturnType<typeof method> => (grantCodec ??= method('etcdserverpb.Lease', 'LeaseGrant'));
const revoke = (): ReturnType<typeof method> => (revokeCodec ??= method('etcdserverpb.Lease', 'LeaseRevoke'));

/** An int64 from the wire (a decimal string with `longs: String`, or a number/bigint). */
export function int64(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string' && v !== '') return BigInt(v);
  return 0n;
}

/** A TTL in seconds from the wire; int64 values beyond 2^53 are clamped (still > MAX_LEASE_TTL). */
export function ttlNumber(v: unknown): number {
  const n = int64(v);
  if (n > 9_007_199_254_740_991n) return Number.MAX_SAFE_INTEGER;
  if (n < -9_007_199_254_740_991n) return -Number.MAX_SAFE_INTEGER;
  return Number(n);
}

export function encodeGrant(r: GrantRequest): Buffer {
  return grant().requestSerialize({ ID: r.id.toString(), TTL: r.ttl.toString() });
}

export function decodeGrant(payload: Buffer): GrantRequest {
  const w = grant().requestDeserialize(payload) as Wire;
  return { id: int64(w.ID), ttl: ttlNumber(w.TTL) };
}

export function encodeRevoke(r: RevokeRequest): Buffer {
  return revoke().requestSerialize({ ID: r.id.toString() });
}

export function decodeRevoke(payload: Buffer): RevokeRequest {
  return { id: int64((revoke().requestDeserialize(payload) as Wire).ID) };
}

export function encodeCheckpoint(r: CheckpointRequest): Buffer {
  return Buffer.from(
    JSON.stringify({ checkpoints: r.checkpoints.map((c) => ({ ID: c.id.toString(), remaining_TTL: c.remainingTtl })) }),
    'utf8',
  );
}

export function decodeCheckpoint(payload: Buffer): CheckpointRequest {
  const o = JSON.parse(payload.toString('utf8')) as { checkpoints?: { ID: string; remaining_TTL: number }[] };
  return { checkpoints: (o.checkpoints ?? []).map((c) => ({ id: BigInt(c.ID), remainingTtl: Number(c.remaining_TTL) })) };
}
