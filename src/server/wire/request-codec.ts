/**
 * The data of a normal Raft entry: one client request or internal command.
 *
 *   byte 0      kind (RequestKind)
 *   bytes 1..8  request id, big-endian: high 16 bits = low 16 bits of the proposing member's id,
 *               low 48 bits = that member's counter (seeded from its boot time, as etcd's idutil)
 *   bytes 9..   payload: the request's etcd protobuf encoding as the client sent it (for KV and
 *               lease requests), or JSON for internal commands
 *
 * Keeping the client's own bytes means the hot path never re-encodes a request.
 */
import { LogSlab } from './log-slab';

export enum RequestKind {
  Put = 1,
  DeleteRange = 2,
  Txn = 3,
  Compaction = 4,
  LeaseGrant = 5,
  LeaseRevoke = 6,
  Alarm = 7,
  PublishMember = 8,
  LeaseCheckpoint = 9,
  /** A request with its sender's credential: see encodeAuthed. */
  Authed = 10,
  /** An auth management request (JSON, see wire/auth-request.ts). */
  Auth = 11,
  /** Enables or cancels a downgrade (JSON {enabled, targetVersion}; see engine/cluster/downgrade.ts). */
  Downgrade = 12,
}

export const HEADER_BYTES = 9;

const slab = new LogSlab();

/** An entry's data; its buffer comes from slabs that hold only entries (see LogSlab). */
export function encodeRequest(kind: RequestKind, idHigh: number, idLow: number, payload: Uint8Array): Buffer {
  const buf = slab.take(HEADER_BYTES + payload.length);
  buf[0] = kind;
  buf.writeUInt16BE(idHigh, 1);
  buf.writeUIntBE(idLow, 3, 6);
  buf.set(payload, HEADER_BYTES);
  return buf;
}

export interface DecodedRequest {
  kind: RequestKind;
  idHigh: number;
  idLow: number;
  payload: Buffer;
}

export function decodeRequest(data: Uint8Array): DecodedRequest {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < HEADER_BYTES) throw new Error(`raft entry too short (${buf.length} bytes)`);
  return {
    kind: buf[0] as RequestKind,
    idHigh: buf.readUInt16BE(1),
    idLow: buf.readUIntBE(3, 6),
    payload: buf.subarray(HEADER_BYTES),
  };
}

/** Generates request ids as etcd's idutil does: prefix from the member id, counter from time. */
export class RequestIdGenerator {
  readonly high: number;
  private counter: number;

  constructor(memberId: bigint, nowMs: number) {
    this.high = Number(memberId & 0xffffn);
    // 40 bits of milliseconds << 8 leaves room for 256 ids per ms before colliding with a
    // later boot's range; within 48 bits.
    this.counter = (nowMs % 2 ** 40) * 256;
  }

  next(): number {
    this.counter = (this.counter + 1) % 2 ** 48;
    return this.counter;
  }

  /** A whole 64-bit id (prefix and counter), unique across the cluster's members. */
  nextId(): bigint {
    return (BigInt(this.high) << 48n) | BigInt(this.next());
  }
}

/**
 * The payload of an Authed entry: the sender's credential (etcd's RequestHeader username and
 * auth_revision), then the inner request.
 *
 *   byte 0        inner kind
 *   bytes 1..6    auth revision, big-endian
 *   bytes 7..8    user name length n
 *   bytes 9..9+n  user name (UTF-8)
 *   then          the inner payload
 */
export function encodeAuthed(kind: RequestKind, user: string, revision: number, payload: Uint8Array): Buffer {
  const name = Buffer.from(user, 'utf8');
  const buf = Buffer.allocUnsafe(9 + name.length + payload.length);
  buf[0] = kind;
  buf.writeUIntBE(revision, 1, 6);
  buf.writeUInt16BE(name.length, 7);
  name.copy(buf, 9);
  buf.set(payload, 9 + name.length);
  return buf;
}

export interface AuthedRequest {
  kind: RequestKind;
  user: string;
  revision: number;
  payload: Buffer;
}

export function decodeAuthed(payload: Buffer): AuthedRequest {
  if (payload.length < 9) throw new Error(`authed request too short (${payload.length} bytes)`);
  const n = payload.readUInt16BE(7);
  return {
    kind: payload[0] as RequestKind,
    revision: payload.readUIntBE(1, 6),
    user: payload.toString('utf8', 9, 9 + n),
    payload: payload.subarray(9 + n),
  };
}
