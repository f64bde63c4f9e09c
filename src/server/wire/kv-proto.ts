/**
 * Hand-written protobuf encoding of the messages the read and watch paths send most:
 * mvccpb.KeyValue and etcdserverpb.ResponseHeader (written directly instead of through
 * protobufjs, whose writer builds a list of operations per field first). Field numbers and
 * types are etcd's kv.proto / rpc.proto; zero values are omitted (proto3), fields come in
 * field-number order, as Go writes them.
 */
import type { KeyValue } from '../../mvcc';
import { recordLayout, type RecordLayout } from '../../mvcc/codec';
import type { Header } from './convert';
import { varintSize, varintSizeBig, writeVarint, writeVarintBig } from '../../encoding/varint';

const TWO_64 = 1n << 64n;

/** int64 as its uint64 two's-complement bits (how protobuf encodes negative int64 varints). */
export function int64Bits(v: bigint): bigint {
  return v < 0n ? v + TWO_64 : v;
}

/** Size of a length-delimited field: tag (one byte for fields < 16), length, bytes. */
export function lenField(len: number): number {
  return 1 + varintSize(len) + len;
}

/** Copies src into dst at p; a plain loop for the small pieces (TypedArray.set costs more there). */
export function copyAt(dst: Buffer, p: number, src: Uint8Array): number {
  const n = src.length;
  if (n < 64) for (let i = 0; i < n; i++) dst[p + i] = src[i]!;
  else dst.set(src, p);
  return p + n;
}

/** Copies src[from, to) into dst at p (see copyAt). */
function copyRange(dst: Buffer, p: number, src: Uint8Array, from: number, to: number): number {
  if (to - from < 64) for (let i = from; i < to; i++) dst[p++] = src[i]!;
  else {
    dst.set(src.subarray(from, to), p);
    p += to - from;
  }
  return p;
}

export function putBytes(b: Buffer, p: number, tag: number, body: Uint8Array): number {
  b[p++] = tag;
  p = writeVarint(b, p, body.length);
  return copyAt(b, p, body);
}

export function putUint(b: Buffer, p: number, tag: number, v: number): number {
  b[p++] = tag;
  return writeVarint(b, p, v);
}

/** Encoded size of a KeyValue (without its own tag and length). */
export function keyValueSize(kv: KeyValue): number {
  let size = 0;
  if (kv.key.length > 0) size += lenField(kv.key.length);
  if (kv.create_revision !== 0) size += 1 + varintSize(kv.create_revision);
  if (kv.mod_revision !== 0) size += 1 + varintSize(kv.mod_revision);
  if (kv.version !== 0) size += 1 + varintSize(kv.version);
  if (kv.value.length > 0) size += lenField(kv.value.length);
  if (kv.lease !== 0n) size += 1 + varintSizeBig(int64Bits(kv.lease));
  return size;
}

/** Writes a KeyValue's fields at p (keyValueSize(kv) bytes); returns the end. */
export function writeKeyValue(b: Buffer, p: number, kv: KeyValue): number {
  if (kv.key.length > 0) p = putBytes(b, p, 0x0a, kv.key);
  if (kv.create_revision !== 0) p = putUint(b, p, 0x10, kv.create_revision);
  if (kv.mod_revision !== 0) p = putUint(b, p, 0x18, kv.mod_revision);
  if (kv.version !== 0) p = putUint(b, p, 0x20, kv.version);
  if (kv.value.length > 0) p = putBytes(b, p, 0x2a, kv.value);
  if (kv.lease !== 0n) {
    b[p++] = 0x30;
    p = writeVarintBig(b, p, int64Bits(kv.lease));
  }
  return p;
}

const layout: RecordLayout = { keyAt: 0, keyEnd: 0, createEnd: 0, modEnd: 0, versionEnd: 0 };

/** Size of a protobuf varint of the uint64 hi * 2^32 + lo. */
function varint64Size(hi: number, lo: number): number {
  let n = 1;
  while (hi !== 0 || lo > 0x7f) {
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
    n++;
  }
  return n;
}

function writeVarint64(b: Buffer, p: number, hi: number, lo: number): number {
  while (hi !== 0 || lo > 0x7f) {
    b[p++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi = hi >>> 7;
  }
  b[p++] = lo;
  return p;
}

/** A revision field copied from the record's varint [from, to); a zero (one 0 byte) is omitted. */
function revisionFieldSize(rec: Uint8Array, from: number, to: number): number {
  return to - from === 1 && rec[from] === 0 ? 0 : 1 + to - from;
}

function copyRevisionField(b: Buffer, p: number, tag: number, rec: Uint8Array, from: number, to: number): number {
  if (to - from === 1 && rec[from] === 0) return p;
  b[p++] = tag;
  for (let i = from; i < to; i++) b[p++] = rec[i]!;
  return p;
}

/**
 * The KeyValue of a live revision record (mvcc/codec.ts), measured from the record itself: its
 * encoded size (without its own tag and length); `writeRecordKeyValue` must follow before the
 * next record is measured (they share one layout).
 */
export function recordKeyValueSize(rec: Uint8Array): number {
  const l = recordLayout(rec, layout);
  const klen = l.keyEnd - l.keyAt;
  let size = klen > 0 ? lenField(klen) : 0;
  size += revisionFieldSize(rec, l.keyEnd, l.createEnd);
  size += revisionFieldSize(rec, l.createEnd, l.modEnd);
  size += revisionFieldSize(rec, l.modEnd, l.versionEnd);
  const vlen = rec.length - l.versionEnd - 8;
  if (vlen > 0) size += lenField(vlen);
  const hi = readU32(rec, l.versionEnd);
  const lo = readU32(rec, l.versionEnd + 4);
  if (hi !== 0 || lo !== 0) size += 1 + varint64Size(hi, lo);
  return size;
}

/** Writes the KeyValue of the record last measured by recordKeyValueSize; returns the end. */
export function writeRecordKeyValue(b: Buffer, p: number, rec: Uint8Array): number {
  const l = layout;
  const klen = l.keyEnd - l.keyAt;
  const valueAt = l.versionEnd + 8;
  const vlen = rec.length - valueAt;
  let pv = -1; // where the value goes, when it is copied first (see copyValueFirst)
  if (vlen >= 64) {
    pv = p + (klen > 0 ? lenField(klen) : 0) + 1 + varintSize(vlen);
    pv += revisionFieldSize(rec, l.keyEnd, l.createEnd) + revisionFieldSize(rec, l.createEnd, l.modEnd);
    pv += revisionFieldSize(rec, l.modEnd, l.versionEnd);
    if (!copyValueFirst(b, p, pv, rec, valueAt)) pv = -1;
  }
  if (klen > 0) {
    b[p++] = 0x0a;
    p = writeVarint(b, p, klen);
    p = copyRange(b, p, rec, l.keyAt, l.keyEnd);
  }
  p = copyRevisionField(b, p, 0x10, rec, l.keyEnd, l.createEnd);
  p = copyRevisionField(b, p, 0x18, rec, l.createEnd, l.modEnd);
  p = copyRevisionField(b, p, 0x20, rec, l.modEnd, l.versionEnd);
  if (vlen > 0) {
    b[p++] = 0x2a;
    p = writeVarint(b, p, vlen);
    p = pv === p ? p + vlen : copyRange(b, p, rec, valueAt, rec.length);
  }
  const hi = readU32(rec, l.versionEnd);
  const lo = readU32(rec, l.versionEnd + 4);
  if (hi !== 0 || lo !== 0) {
    b[p++] = 0x30;
    p = writeVarint64(b, p, hi, lo);
  }
  return p;
}

/** Bytes before a KeyValue's start that copyValueFirst may overwrite and put back. */
const SAVED = new Uint8Array(16);

/**
 * Copies the whole record so that its value lands at `pv`: one TypedArray.set of the record
 * itself, where copying the value alone would need a view object per record (`subarray`), 30%
 * of the bytes a 100-key range allocated. The record's other bytes land on [pv - valueAt, pv):
 * the caller writes the KeyValue's own fields over [start, pv) afterwards, and the few bytes
 * before `start` (the entry's tag and length, or the end of the previous one) are saved and put
 * back here. False (nothing written) when they are too many or would fall before the buffer.
 */
function copyValueFirst(b: Buffer, start: number, pv: number, rec: Uint8Array, valueAt: number): boolean {
  const from = pv - valueAt;
  const before = start - from;
  if (from < 0 || before > SAVED.length) return false;
  for (let i = 0; i < before; i++) SAVED[i] = b[from + i]!;
  b.set(rec, from);
  for (let i = 0; i < before; i++) b[from + i] = SAVED[i]!;
  return true;
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

/** mvccpb.KeyValue. */
export function encodeKeyValue(kv: KeyValue): Buffer {
  const b = Buffer.allocUnsafe(keyValueSize(kv));
  writeKeyValue(b, 0, kv);
  return b;
}

/** The encoded cluster_id and member_id fields of the last header (they rarely change). */
let lastCluster = '';
let lastMember = '';
let lastIds: Buffer = Buffer.alloc(0);

function idFields(cluster_id: string, member_id: string): Buffer {
  if (cluster_id === lastCluster && member_id === lastMember) return lastIds;
  const cluster = BigInt(cluster_id);
  const member = BigInt(member_id);
  let size = 0;
  if (cluster !== 0n) size += 1 + varintSizeBig(cluster);
  if (member !== 0n) size += 1 + varintSizeBig(member);
  const b = Buffer.alloc(size);
  let p = 0;
  if (cluster !== 0n) {
    b[p++] = 0x08;
    p = writeVarintBig(b, p, cluster);
  }
  if (member !== 0n) {
    b[p++] = 0x10;
    writeVarintBig(b, p, member);
  }
  lastCluster = cluster_id;
  lastMember = member_id;
  lastIds = b;
  return b;
}

function headerSize(ids: Buffer, h: Header): number {
  let size = ids.length;
  if (h.revision !== 0) size += 1 + varintSize(h.revision);
  if (h.raft_term !== 0) size += 1 + varintSize(h.raft_term);
  return size;
}

function writeHeader(b: Buffer, p: number, ids: Buffer, h: Header): number {
  p = copyAt(b, p, ids);
  if (h.revision !== 0) p = putUint(b, p, 0x18, h.revision);
  if (h.raft_term !== 0) p = putUint(b, p, 0x20, h.raft_term);
  return p;
}

/** etcdserverpb.ResponseHeader (ids are decimal strings of uint64s). */
export function encodeHeader(h: Header): Buffer {
  const ids = idFields(h.cluster_id, h.member_id);
  const b = Buffer.allocUnsafe(headerSize(ids, h));
  writeHeader(b, 0, ids, h);
  return b;
}

/** A response whose only field is its header (field 1): a PutResponse without prev_kv. */
export function encodeHeaderOnlyResponse(h: Header): Buffer {
  const ids = idFields(h.cluster_id, h.member_id);
  const size = headerSize(ids, h);
  const b = Buffer.allocUnsafe(1 + varintSize(size) + size);
  b[0] = 0x0a;
  writeHeader(b, writeVarint(b, 1, size), ids, h);
  return b;
}
