/**
 * Protobuf encoding of raftpb.ConfChange and raftpb.ConfChangeV2, the data of EntryConfChange /
 * EntryConfChangeV2 entries. Field numbers follow etcd's raft.proto:
 *   ConfChange   { id=1 uint64; type=2 enum; node_id=3 uint64; context=4 bytes }
 *   ConfChangeV2 { transition=1 enum; changes=2 repeated ConfChangeSingle; context=3 bytes }
 *   ConfChangeSingle { type=1 enum; node_id=2 uint64 }
 */
import { Reader, writeVarintBig } from '../encoding/varint';
import { ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeTypeCode, ConfChangeV2 } from './types';

const TYPE_BY_CODE: ConfChangeType[] = ['AddNode', 'RemoveNode', 'UpdateNode', 'AddLearnerNode'];
const TRANSITIONS: ConfChangeTransition[] = ['Auto', 'JointImplicit', 'JointExplicit'];

/** Builds a message field by field (varints from the shared encoding). */
class Writer {
  private readonly bytes: number[] = [];
  private readonly scratch = new Uint8Array(10);

  varint(v: bigint | number): void {
    const n = writeVarintBig(this.scratch, 0, BigInt.asUintN(64, BigInt(v)));
    for (let i = 0; i < n; i++) this.bytes.push(this.scratch[i]!);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  // Like etcd's gogoproto output (non-nullable proto2 fields), scalars are always written.
  const w = new Writer();
  w.tag(1, 0);
  w.varint(cc.id ?? 0n);
  w.tag(2, 0);
  w.varint(ConfChangeTypeCode[cc.type]);
  w.tag(3, 0);
  w.varint(cc.nodeId);
  if (cc.context !== undefined && cc.context.length > 0) w.bytesField(4, cc.context);
  return w.finish();
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const r = new Reader(data);
  const cc: ConfChange = { type: 'AddNode', nodeId: 0n };
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) cc.id = r.varintBig();
    else if (field === 2 && wire === 0) cc.type = TYPE_BY_CODE[r.varint()] ?? 'AddNode';
    else if (field === 3 && wire === 0) cc.nodeId = r.varintBig();
    else if (field === 4 && wire === 2) cc.context = r.bytes().slice();
    else r.skip(wire);
  }
  return cc;
}

export function encodeConfChangeV2(cc: ConfChangeV2): Uint8Array {
  const w = new Writer();
  w.tag(1, 0);
  w.varint(Math.max(0, TRANSITIONS.indexOf(cc.transition)));
  for (const ch of cc.changes) {
    const inner = new Writer();
    inner.tag(1, 0);
    inner.varint(ConfChangeTypeCode[ch.type]);
    inner.tag(2, 0);
    inner.varint(ch.nodeId);
    w.bytesField(2, inner.finish());
  }
  if (cc.context !== undefined && cc.context.length > 0) w.bytesField(3, cc.context);
  return w.finish();
}

export function decodeConfChangeV2(data: Uint8Array): ConfChangeV2 {
  const r = new Reader(data);
  const cc: ConfChangeV2 = { transition: 'Auto', changes: [] };
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) cc.transition = TRANSITIONS[r.varint()] ?? 'Auto';
    else if (field === 2 && wire === 2) cc.changes.push(decodeSingle(r.bytes()));
    else if (field === 3 && wire === 2) cc.context = r.bytes().slice();
    else r.skip(wire);
  }
  return cc;
}

function decodeSingle(data: Uint8Array): ConfChangeSingle {
  const r = new Reader(data);
  const s: ConfChangeSingle = { type: 'AddNode', nodeId: 0n };
  while (r.pos < r.end) {
    const key = r.varint();
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) s.type = TYPE_BY_CODE[r.varint()] ?? 'AddNode';
    else if (field === 2 && wire === 0) s.nodeId = r.varintBig();
    else r.skip(wire);
  }
  return s;
}
