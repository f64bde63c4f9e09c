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
import { Reader, varintSize, writeVarint } from '../encoding/varint';

export const REV_PREFIX = 'r/';
/** Strictly greater than every revision record key. */
export const REV_END = 'r0';
export const META_COMPACT = 'm/compact';
/**
 * Present while a compaction's dropped records are still being deleted (decimal ASCII revision,
 * like m/compact): a store opened over an engine holding it compacts again at that revision.
 */
export const META_COMPACTING = 'm/compacting';

const HEX16 = '0000000000000000';
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where revKey writes a key before reading it back as one flat string. */
const KEY_BYTES = Buffer.from(REV_PREFIX + HEX16 + '_' + HEX16.slice(8), 'latin1');
const SUB_LIMIT = 0x100000000;

/**
 * `r/` + main as 16 hex digits + `_` + sub as 8 hex digits. Written into a scratch buffer and read
 * back as one latin1 string: a flat string, about three times faster to make than the joined
 * pieces (whose cons string is flattened again by its first hash or character read).
 */
export function revKey(main: number, sub: number): string {
  if (!(sub < SUB_LIMIT && main <= Number.MAX_SAFE_INTEGER)) return slowRevKey(main, sub);
  const b = KEY_BYTES;
  let hi = Math.floor(main / SUB_LIMIT);
  let lo = main >>> 0;
  let s = sub >>> 0;
  for (let i = 9; i >= 2; i--, hi >>>= 4) b[i] = HEX_DIGITS[hi & 15]!;
  for (let i = 17; i >= 10; i--, lo >>>= 4) b[i] = HEX_DIGITS[lo & 15]!;
  for (let i = 26; i >= 19; i--, s >>>= 4) b[i] = HEX_DIGITS[s & 15]!;
  return b.toString('latin1', 0, 27);
}

/** The length of revKey(main, sub), without making it. */
export function revKeyLength(sub: number): number {
  return sub < SUB_LIMIT ? 27 : 19 + sub.toString(16).length;
}

/** revKey by string pieces: the definition, for any sub revision. */
export function slowRevKey(main: number, sub: number): string {
  const m = main.toString(16);
  const s = sub.toString(16);
  return REV_PREFIX + HEX16.slice(m.length) + m + '_' + HEX16.slice(8 + s.length) + s;
}

/** First record key of main revision `main` (all its subs are >= this). */
export function revKeyFloor(main: number): string {
  return revKey(main, 0);
}

/** The (main, sub) a revKey spells (read digit by digit: no substrings). */
export function parseRevKey(k: string): { main: number; sub: number } {
  return { main: hexValue(k, 2, 10) * SUB_LIMIT + hexValue(k, 10, 18), sub: hexValue(k, 19, k.length) };
}

/** The lowercase hex digits k[from, to) as a number. */
function hexValue(k: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = k.charCodeAt(i);
    v = v * 16 + (c <= 0x39 ? c - 0x30 : c - 0x57);
  }
  return v;
}

export function encodeRecord(kv: KeyValue, tombstone: boolean): Buffer {
  const klen = kv.key.length;
  const size =
    1 +
    varintSize(klen) +
    klen +
    varintSize(kv.create_revision) +
    varintSize(kv.mod_revision) +
    varintSize(kv.version) +
    8 +
    kv.value.length;
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
 * A tombstone record for key `k` (index form, one char per byte) deleted at `mod`, with a view of
 * its key bytes (for the DELETE event, so the event needs no buffer of its own).
 */
export function encodeTombstone(k: string, mod: number): { rec: Buffer; key: Buffer } {
  const rec = encodeTombstoneRecord(k, mod);
  const keyAt = 1 + varintSize(k.length);
  return { rec, key: rec.subarray(keyAt, keyAt + k.length) };
}

/** A tombstone record alone (no view of its key: for a delete nobody takes an event of). */
export function encodeTombstoneRecord(k: string, mod: number): Buffer {
  const klen = k.length;
  const keyAt = 1 + varintSize(klen);
  const buf = Buffer.allocUnsafe(keyAt + klen + 1 + varintSize(mod) + 1 + 8);
  buf[0] = 1;
  writeVarint(buf, 1, klen);
  buf.write(k, keyAt, klen, 'latin1');
  let pos = keyAt + klen;
  buf[pos++] = 0; // create_revision
  pos = writeVarint(buf, pos, mod);
  buf[pos++] = 0; // version
  buf.fill(0, pos, pos + 8); // lease
  return buf;
}

/**
 * Encodes a live (non-tombstone) record and returns it with a KeyValue whose key and value are
 * views into it (what decodeRecord would return, without parsing again).
 */
export function encodeLiveRecord(kv: KeyValue): { rec: Buffer; kv: KeyValue } {
  const rec = encodeRecord(kv, false);
  const keyAt = 1 + varintSize(kv.key.length);
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
  const r = new Reader(buf, 1);
  const klen = r.varint();
  const key = buf.subarray(r.pos, r.pos + klen);
  r.pos += klen;
  const create_revision = r.varint();
  const mod_revision = r.varint();
  const version = r.varint();
  const lease = buf.readBigInt64BE(r.pos);
  const value = buf.subarray(r.pos + 8);
  return { kv: { key, create_revision, mod_revision, version, value, lease }, tombstone: (buf[0]! & 1) === 1 };
}

/** A record's fields without its value, read without creating buffers (index rebuilds). */
export interface RecordMeta {
  /** The key, one char per byte (latin1). */
  k: string;
  create: number;
  mod: number;
  version: number;
  lease: bigint;
  tombstone: boolean;
}

/** Fills `out` from a record or a record header; returns it. */
export function readRecordMeta(rec: Uint8Array, out: RecordMeta): RecordMeta {
  const buf = Buffer.isBuffer(rec) ? rec : Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  const r = new Reader(buf, 1);
  const klen = r.varint();
  out.k = buf.toString('latin1', r.pos, r.pos + klen);
  r.pos += klen;
  out.create = r.varint();
  out.mod = r.varint();
  out.version = r.varint();
  const p = r.pos;
  out.lease = buf.readUInt32BE(p) === 0 && buf.readUInt32BE(p + 4) === 0 ? 0n : buf.readBigInt64BE(p);
  out.tombstone = (buf[0]! & 1) === 1;
  return out;
}

/**
 * Where a live record's fields lie, as offsets into it: the key is [keyAt, keyEnd), the three
 * revision varints (create, mod, version) end at createEnd, modEnd and versionEnd, the lease's 8
 * bytes follow, then the value to the end. Read without creating anything, so that a reader can
 * copy the fields straight into a response (their varints are protobuf's).
 */
export interface RecordLayout {
  keyAt: number;
  keyEnd: number;
  createEnd: number;
  modEnd: number;
  versionEnd: number;
}

function varintEnd(rec: Uint8Array, p: number): number {
  while (rec[p++]! & 0x80);
  return p;
}

/** Fills `out` with the layout of `rec` (a full record); returns it. */
export function recordLayout(rec: Uint8Array, out: RecordLayout): RecordLayout {
  let klen = 0;
  let shift = 0;
  let p = 1;
  for (;;) {
    const b = rec[p++]!;
    klen += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
    shift += 7;
  }
  out.keyAt = p;
  out.keyEnd = p + klen;
  out.createEnd = varintEnd(rec, out.keyEnd);
  out.modEnd = varintEnd(rec, out.createEnd);
  out.versionEnd = varintEnd(rec, out.modEnd);
  return out;
}

/** Length of a record's header: everything before its value (flags, key, revisions, lease). */
export function recordHeaderLength(rec: Uint8Array): number {
  const buf = Buffer.isBuffer(rec) ? rec : Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength);
  const r = new Reader(buf, 1);
  const klen = r.varint();
  r.pos += klen;
  r.varint();
  r.varint();
  r.varint();
  return r.pos + 8;
}

export function encodeCompactRev(rev: number): Buffer {
  return Buffer.from(String(rev), 'ascii');
}

export function decodeCompactRev(v: Uint8Array): number {
  return Number(Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('ascii'));
}
