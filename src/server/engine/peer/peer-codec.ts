/**
 * Hand-written codecs for the messages of `proto/etcdts/peer.proto` (proto3). MessageBatch is
 * written in one allocation straight from raft Messages (a `repeated raftpb.Message` is
 * wire-identical to repeated length-delimited raftpb.Message bodies). Checked against protobufjs
 * loaded from peer.proto in test/peer/peer-codec.test.ts.
 */
import type { Message } from '../../../raft/types';
import { decodeMessageAt, messageSize, writeMessage } from './raft-codec';
import { Reader, WireError, lenPrefixed, varintSize, varintSizeBig, writeVarint, writeVarintBig } from '../../../encoding/varint';

// ---------- MessageBatch ----------

/** Encodes a MessageBatch; `sizes` may carry precomputed messageSize values. */
export function encodeBatch(msgs: readonly Message[], sizes?: readonly number[]): Buffer {
  const sz = sizes ?? msgs.map(messageSize);
  let total = 0;
  for (let i = 0; i < sz.length; i++) total += 1 + lenPrefixed(sz[i]!);
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < msgs.length; i++) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, sz[i]!);
    const end = writeMessage(buf, pos, msgs[i]!);
    if (end !== pos + sz[i]!) throw new Error('peer batch size mismatch');
    pos = end;
  }
  return buf;
}

export function decodeBatch(buf: Uint8Array): Message[] {
  const r = new Reader(buf);
  const out: Message[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === 0x0a) {
      const [s, e] = r.delimited();
      out.push(decodeMessageAt(buf, s, e));
    } else r.skip(tag & 7);
  }
  return out;
}

// ---------- StreamHello / ProbeResponse: { member_id = 1, cluster_id = 2 } ----------

export interface Identity {
  memberId: bigint;
  clusterId: bigint;
}

export function encodeIdentity(v: Identity): Buffer {
  let n = 0;
  if (v.memberId !== 0n) n += 1 + varintSizeBig(v.memberId);
  if (v.clusterId !== 0n) n += 1 + varintSizeBig(v.clusterId);
  const buf = Buffer.allocUnsafe(n);
  let pos = 0;
  if (v.memberId !== 0n) {
    buf[pos++] = 0x08;
    pos = writeVarintBig(buf, pos, v.memberId);
  }
  if (v.clusterId !== 0n) {
    buf[pos++] = 0x10;
    pos = writeVarintBig(buf, pos, v.clusterId);
  }
  return buf;
}

export function decodeIdentity(buf: Uint8Array): Identity {
  const r = new Reader(buf);
  const v: Identity = { memberId: 0n, clusterId: 0n };
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === 0x08) v.memberId = r.varintBig();
    else if (tag === 0x10) v.clusterId = r.varintBig();
    else r.skip(tag & 7);
  }
  return v;
}

// ---------- SnapshotChunk ----------

export interface SnapshotChunk {
  /** First chunk only: the MsgSnap, snapshot.data empty. */
  message?: Message;
  /** First chunk only. */
  totalSize?: number;
  data: Uint8Array;
  /** Last chunk only. */
  sha256?: Uint8Array;
}

export function encodeSnapshotChunk(c: SnapshotChunk): Buffer {
  const msize = c.message !== undefined ? messageSize(c.message) : 0;
  let n = 0;
  if (c.message !== undefined) n += 1 + lenPrefixed(msize);
  if (c.totalSize !== undefined && c.totalSize !== 0) n += 1 + varintSize(c.totalSize);
  if (c.data.length > 0) n += 1 + lenPrefixed(c.data.length);
  if (c.sha256 !== undefined && c.sha256.length > 0) n += 1 + lenPrefixed(c.sha256.length);
  const buf = Buffer.allocUnsafe(n);
  let pos = 0;
  if (c.message !== undefined) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, msize);
    pos = writeMessage(buf, pos, c.message);
  }
  if (c.totalSize !== undefined && c.totalSize !== 0) {
    buf[pos++] = 0x10;
    pos = writeVarint(buf, pos, c.totalSize);
  }
  if (c.data.length > 0) {
    buf[pos++] = 0x1a;
    pos = writeVarint(buf, pos, c.data.length);
    buf.set(c.data, pos);
    pos += c.data.length;
  }
  if (c.sha256 !== undefined && c.sha256.length > 0) {
    buf[pos++] = 0x22;
    pos = writeVarint(buf, pos, c.sha256.length);
    buf.set(c.sha256, pos);
    pos += c.sha256.length;
  }
  if (pos !== n) throw new Error('snapshot chunk size mismatch');
  return buf;
}

export function decodeSnapshotChunk(buf: Uint8Array): SnapshotChunk {
  const r = new Reader(buf);
  const c: SnapshotChunk = { data: new Uint8Array(0) };
  while (r.pos < buf.length) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a: {
        const [s, e] = r.delimited();
        c.message = decodeMessageAt(buf, s, e);
        break;
      }
      case 0x10:
        c.totalSize = r.varint();
        break;
      case 0x1a:
        c.data = r.bytes();
        break;
      case 0x22:
        c.sha256 = r.bytes();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return c;
}

// ---------- SnapshotResult { received_bytes = 1 }, ProbeRequest {} ----------

export function encodeSnapshotResult(receivedBytes: number): Buffer {
  if (receivedBytes === 0) return Buffer.alloc(0);
  const buf = Buffer.allocUnsafe(1 + varintSize(receivedBytes));
  buf[0] = 0x08;
  writeVarint(buf, 1, receivedBytes);
  return buf;
}

export function decodeSnapshotResult(buf: Uint8Array): number {
  const r = new Reader(buf);
  let n = 0;
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag === 0x08) n = r.varint();
    else r.skip(tag & 7);
  }
  return n;
}

export function encodeEmpty(): Buffer {
  return Buffer.alloc(0);
}

export function decodeEmpty(buf: Uint8Array): Record<string, never> {
  const r = new Reader(buf);
  while (r.pos < buf.length) r.skip(r.varint() & 7);
  return {};
}

export { WireError };
