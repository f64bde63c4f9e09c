/**
 * Hand-written protobuf encoding of the messages the read and watch paths send most:
 * mvccpb.KeyValue and etcdserverpb.ResponseHeader (written directly instead of through
 * protobufjs, whose writer builds a list of operations per field first). Field numbers and
 * types are etcd's kv.proto / rpc.proto; zero values are omitted (proto3), fields come in
 * field-number order, as Go writes them.
 */
import type { KeyValue } from '../../mvcc';
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

/** mvccpb.KeyValue. */
export function encodeKeyValue(kv: KeyValue): Buffer {
  const b = Buffer.allocUnsafe(keyValueSize(kv));
  writeKeyValue(b, 0, kv);
  return b;
}

/** etcdserverpb.ResponseHeader (ids are decimal strings of uint64s). */
export function encodeHeader(h: Header): Buffer {
  const cluster = BigInt(h.cluster_id);
  const member = BigInt(h.member_id);
  let size = 0;
  if (cluster !== 0n) size += 1 + varintSizeBig(cluster);
  if (member !== 0n) size += 1 + varintSizeBig(member);
  if (h.revision !== 0) size += 1 + varintSize(h.revision);
  if (h.raft_term !== 0) size += 1 + varintSize(h.raft_term);
  const b = Buffer.allocUnsafe(size);
  let p = 0;
  if (cluster !== 0n) {
    b[p++] = 0x08;
    p = writeVarintBig(b, p, cluster);
  }
  if (member !== 0n) {
    b[p++] = 0x10;
    p = writeVarintBig(b, p, member);
  }
  if (h.revision !== 0) p = putUint(b, p, 0x18, h.revision);
  if (h.raft_term !== 0) p = putUint(b, p, 0x20, h.raft_term);
  return b;
}
