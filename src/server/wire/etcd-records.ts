/**
 * The records of etcd's backend (bbolt) as etcd 3.6 writes them (`server/storage/schema`,
 * `server/storage/mvcc/revision.go`), for snapshot files that etcd's tools read and etcd serves:
 *
 *   key bucket      revision bytes (8-byte main, '_', 8-byte sub, 't' for a tombstone)
 *                   -> mvccpb.KeyValue (a tombstone holds only the key)
 *   lease bucket    8-byte id -> leasepb.Lease {ID, TTL, RemainingTTL}
 *   authUsers       name -> authpb.User, authRoles: name -> authpb.Role
 *   alarm bucket    etcdserverpb.AlarmMember -> empty
 *
 * Protobuf is written as gogoproto marshals it: fields in number order, zero scalars and empty
 * bytes left out; 64-bit integers as bigints.
 */

import type { KeyValue } from '../../mvcc';

/** The storage version etcd 3.6 writes in the meta bucket and Snapshot responses. */
export const STORAGE_VERSION = '3.6.0';

class ProtoWriter {
  private readonly parts: Buffer[] = [];
  private len = 0;

  private push(b: Buffer): void {
    this.parts.push(b);
    this.len += b.length;
  }

  private varint(v: bigint): void {
    const out: number[] = [];
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
    this.push(Buffer.from(out));
  }

  /** A varint field (int64, uint64, bool, enum); skipped when zero. */
  uint(field: number, v: bigint | number | boolean): this {
    const b = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt(v);
    if (b === 0n) return this;
    this.varint(BigInt(field << 3));
    this.varint(b);
    return this;
  }

  /** A length-delimited field; skipped when empty unless `always`. */
  bytes(field: number, v: Uint8Array | string, always = false): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    if (b.length === 0 && !always) return this;
    this.varint(BigInt((field << 3) | 2));
    this.varint(BigInt(b.length));
    this.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.len);
  }
}

/** One decoded field: a varint value or bytes. */
export type ProtoField = { field: number; value: bigint } | { field: number; bytes: Buffer };

/** The fields of a protobuf message, in order (varint and length-delimited wire types only). */
export function protoFields(b: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= b.length) throw new Error('protobuf: truncated varint');
      const c = b[pos++]!;
      v |= BigInt(c & 0x7f) << shift;
      if (c < 0x80) return v;
      shift += 7n;
    }
  };
  while (pos < b.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    const type = tag & 7;
    if (type === 0) out.push({ field, value: varint() });
    else if (type === 2) {
      const n = Number(varint());
      if (pos + n > b.length) throw new Error('protobuf: truncated field');
      out.push({ field, bytes: b.subarray(pos, pos + n) });
      pos += n;
    } else throw new Error(`protobuf: unsupported wire type ${type}`);
  }
  return out;
}

/** etcd's revision key: 8-byte main, '_', 8-byte sub, and 't' for a tombstone. */
export function revisionBytes(main: number, sub: number, tombstone: boolean): Buffer {
  const b = Buffer.alloc(tombstone ? 18 : 17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) b[17] = 0x74;
  return b;
}

export function parseRevisionBytes(b: Buffer): { main: number; sub: number; tombstone: boolean } {
  if ((b.length !== 17 && b.length !== 18) || b[8] !== 0x5f) throw new Error(`not a revision key: ${b.toString('hex')}`);
  return { main: Number(b.readBigUInt64BE(0)), sub: Number(b.readBigUInt64BE(9)), tombstone: b.length === 18 && b[17] === 0x74 };
}

/** mvccpb.KeyValue as the MVCC core holds it. */
export type KvRecord = KeyValue;

// Encoding a KeyValue: wire/kv-proto.ts (encodeKeyValue, keyValueSize, writeKeyValue).

export function decodeKeyValue(b: Buffer): KvRecord {
  const kv: KvRecord = { key: Buffer.alloc(0), create_revision: 0, mod_revision: 0, version: 0, value: Buffer.alloc(0), lease: 0n };
  for (const f of protoFields(b)) {
    if ('bytes' in f) {
      if (f.field === 1) kv.key = f.bytes;
      else if (f.field === 5) kv.value = f.bytes;
    } else if (f.field === 2) kv.create_revision = Number(f.value);
    else if (f.field === 3) kv.mod_revision = Number(f.value);
    else if (f.field === 4) kv.version = Number(f.value);
    else if (f.field === 6) kv.lease = BigInt.asIntN(64, f.value);
  }
  return kv;
}

export interface LeaseRecord {
  id: bigint;
  ttl: number;
  remainingTtl: number;
}

export function leaseKeyBytes(id: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(id);
  return b;
}

export function encodeLease(l: LeaseRecord): Buffer {
  return new ProtoWriter().uint(1, l.id).uint(2, l.ttl).uint(3, l.remainingTtl).finish();
}

export function decodeLease(b: Buffer): LeaseRecord {
  const l: LeaseRecord = { id: 0n, ttl: 0, remainingTtl: 0 };
  for (const f of protoFields(b)) {
    if ('bytes' in f) continue;
    if (f.field === 1) l.id = BigInt.asIntN(64, f.value);
    else if (f.field === 2) l.ttl = Number(BigInt.asIntN(64, f.value));
    else if (f.field === 3) l.remainingTtl = Number(BigInt.asIntN(64, f.value));
  }
  return l;
}

const PERM_TYPES = ['READ', 'WRITE', 'READWRITE'] as const;

export interface UserRecord {
  name: string;
  password: string;
  roles: string[];
  noPassword: boolean;
}

export function encodeUser(u: UserRecord): Buffer {
  const w = new ProtoWriter().bytes(1, u.name).bytes(2, u.password);
  for (const r of u.roles) w.bytes(3, r, true);
  if (u.noPassword) w.bytes(4, new ProtoWriter().uint(1, true).finish(), true);
  return w.finish();
}

export function decodeUser(b: Buffer): UserRecord {
  const u: UserRecord = { name: '', password: '', roles: [], noPassword: false };
  for (const f of protoFields(b)) {
    if (!('bytes' in f)) continue;
    if (f.field === 1) u.name = f.bytes.toString('utf8');
    else if (f.field === 2) u.password = f.bytes.toString('latin1');
    else if (f.field === 3) u.roles.push(f.bytes.toString('utf8'));
    else if (f.field === 4) u.noPassword = protoFields(f.bytes).some((o) => o.field === 1 && 'value' in o && o.value !== 0n);
  }
  return u;
}

export interface PermissionRecord {
  permType: (typeof PERM_TYPES)[number];
  /** latin1 strings of the key bytes. */
  key: string;
  rangeEnd: string;
}

export interface RoleRecord {
  name: string;
  perms: PermissionRecord[];
}

export function encodeRole(r: RoleRecord): Buffer {
  const w = new ProtoWriter().bytes(1, r.name);
  for (const p of r.perms) {
    const pb = new ProtoWriter()
      .uint(1, PERM_TYPES.indexOf(p.permType))
      .bytes(2, Buffer.from(p.key, 'latin1'))
      .bytes(3, Buffer.from(p.rangeEnd, 'latin1'))
      .finish();
    w.bytes(2, pb, true);
  }
  return w.finish();
}

export function decodeRole(b: Buffer): RoleRecord {
  const r: RoleRecord = { name: '', perms: [] };
  for (const f of protoFields(b)) {
    if (!('bytes' in f)) continue;
    if (f.field === 1) r.name = f.bytes.toString('utf8');
    else if (f.field === 2) {
      const p: PermissionRecord = { permType: 'READ', key: '', rangeEnd: '' };
      for (const g of protoFields(f.bytes)) {
        if ('bytes' in g) {
          if (g.field === 2) p.key = g.bytes.toString('latin1');
          else if (g.field === 3) p.rangeEnd = g.bytes.toString('latin1');
        } else if (g.field === 1) p.permType = PERM_TYPES[Number(g.value)] ?? 'READ';
      }
      r.perms.push(p);
    }
  }
  return r;
}

export function encodeAlarmMember(memberID: bigint, alarm: number): Buffer {
  return new ProtoWriter().uint(1, memberID).uint(2, alarm).finish();
}

export function decodeAlarmMember(b: Buffer): { memberID: bigint; alarm: number } {
  let memberID = 0n;
  let alarm = 0;
  for (const f of protoFields(b)) {
    if ('bytes' in f) continue;
    if (f.field === 1) memberID = f.value;
    else if (f.field === 2) alarm = Number(f.value);
  }
  return { memberID, alarm };
}
