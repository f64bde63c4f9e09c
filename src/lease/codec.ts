/**
 * Persistent layout of leases inside the MVCC {@link Engine} (so they are written in the same
 * batch as the keys they own and survive a restart with the store):
 *
 *   key    `lease/` + 16 lowercase hex digits of the id as an unsigned 64-bit integer
 *   value  16 bytes: TTL (int64 big-endian) then checkpointed remaining TTL (int64 big-endian)
 *
 * The prefix sorts apart from the store's own `r/` and `m/` keys. Attachments (lease -> keys)
 * are not stored: they are rebuilt from the live keys' `lease` field.
 */
import type { LeaseId } from './types';

export const LEASE_PREFIX = 'lease/';
/** Strictly greater than every lease key. */
export const LEASE_END = 'lease0';

export interface LeaseRecord {
  id: LeaseId;
  ttl: number;
  remainingTtl: number;
}

export function leaseKey(id: LeaseId): string {
  return LEASE_PREFIX + BigInt.asUintN(64, id).toString(16).padStart(16, '0');
}

export function parseLeaseKey(key: string): LeaseId {
  return BigInt.asIntN(64, BigInt('0x' + key.slice(LEASE_PREFIX.length)));
}

export function encodeLease(r: LeaseRecord): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigInt64BE(BigInt(r.ttl), 0);
  b.writeBigInt64BE(BigInt(r.remainingTtl), 8);
  return b;
}

export function decodeLease(key: string, value: Uint8Array): LeaseRecord {
  if (value.length !== 16) throw new Error(`lease record ${key}: ${value.length} bytes, want 16`);
  const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return { id: parseLeaseKey(key), ttl: Number(b.readBigInt64BE(0)), remainingTtl: Number(b.readBigInt64BE(8)) };
}
