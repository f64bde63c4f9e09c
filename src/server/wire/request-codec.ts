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
}

export const HEADER_BYTES = 9;

export function encodeRequest(kind: RequestKind, idHigh: number, idLow: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
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
