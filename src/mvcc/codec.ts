/**
 * Persistent layout of the store inside an {@link Engine}.
 *
 * - Revision records: key `r/` + 16 hex digits of the main revision + `_` + 8 hex digits of the
 *   sub revision, so engine order is revision order. Value: one record (below).
 * - Meta: `m/compact` holds the finished compact revision (decimal ASCII).
 *
 * Record encoding (own compact format, not protobuf):
 *   byte 0        flags (bit 0: tombstone)
 *   varint        key length, then the key bytes
 *   varint x3     create_revision, mod_revision, version
 *   8 bytes       lease, int64 big-endian
 *   rest          value bytes
 * Decoding returns Buffers that are views into the record (no copy).
 */
import type { KeyValue } from './types';

export const REV_PREFIX = 'r/';
/** Strictly greater than every revision record key. */
export const REV_END = 'r0';
export const META_COMPACT = 'm/compact';

const HEX16 = '0000000000000000';

export function revKey(main: number, sub: number): string {
  const m = main.toString(16);
  const s = sub.toString(16);
  return REV_PREFIX + HEX16.slice(m.length) + m + '_' + HEX16.slice(8 + s.length) + s;
}

/** First record key of main revision `main` (all its subs are >= this). */
export function revKeyFloor(main: number): string {
  return revKey(main, 0);
}

export function parseRevKey(k: string): { main: number; sub: number } {
  return { main: parseInt(k.slice(2, 18), 16), sub: parseInt(k.slice(19), 16) };
}

function varintLen(n: number): number {
  let len = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

export function encodeRecord(kv: KeyValue, tombstone: boolean): Buffer {
  const klen = kv.key.length;
  const size =
    1 + varintLen(klen) + klen + varintLen(kv.create_revision) + varintLen(kv.mod_revision) + varintLen(kv.version) + 8 + kv.value.length;
  const buf = Buffer.allocUnsafe(size);
  buf[0] = tombstone ? 1 : 0;
  let pos = writeVarint(buf, 1, klen);
  buf.set(kv.key, pos);
  pos += klen;
  pos = writeVarint(buf, pos, kv.create_revision);
  pos = writeVarint(buf, pos, kv.mod_revision);
  pos = writeVarint(buf, pos, kv.version);
  buf.writeBigInt64BE(kv.lease, pos);
  pos += 8;
  buf.set(kv.value, pos);
  return buf;
}

/**
 * Encodes a live (non-tombstone) record and returns it with a KeyValue whose key and value are
 * views into it (what decodeRecord would return, without parsing again).
 */
export function encodeLiveRecord(kv: KeyValue): { rec: Buffer; kv: KeyValue } {
  const rec = encodeRecord(kv, false);
  const keyAt = 1 + varintLen(kv.key.length);
  return {
    rec,
    kv: {
      key: rec.subarray(keyAt, keyAt + kv.key.length),
      create_revision: kv.create_revision,
      mod_revision: kv.mod_revision,
      version: kv.version,
      value: rec.subarray(rec.length - kv.value.length),
      lease: kv.lease,
    },
  };
}

export interface DecodedRecord {
  kv: KeyValue;
  tombstone: boolean;
}

export function isTombstoneRecord(rec: Uint8Array): boolean {
  return (rec[0]! & 1) === 1;
}

export function decodeRecord(rec: Uint8Array): DecodedRecord {
  const buf = Buffer.isBuffer(rec) ? rec : Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  let pos = 1;
  const readVarint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('mvcc: truncated record');
      n += (b & 127) * mul;
      if (b < 128) return n;
      mul *= 128;
    }
  };
  const klen = readVarint();
  const key = buf.subarray(pos, pos + klen);
  pos += klen;
  const create_revision = readVarint();
  const mod_revision = readVarint();
  const version = readVarint();
  const lease = buf.readBigInt64BE(pos);
  pos += 8;
  const value = buf.subarray(pos);
  return { kv: { key, create_revision, mod_revision, version, value, lease }, tombstone: (buf[0]! & 1) === 1 };
}

export function encodeCompactRev(rev: number): Buffer {
  return Buffer.from(String(rev), 'ascii');
}

export function decodeCompactRev(v: Uint8Array): number {
  return Number(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('ascii'));
}
