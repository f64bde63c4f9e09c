/**
 * Protobuf encoding of raftpb.ConfChange and raftpb.ConfChangeV2, the data of EntryConfChange /
 * EntryConfChangeV2 entries. Field numbers follow etcd's raft.proto:
 *   ConfChange   { id=1 uint64; type=2 enum; node_id=3 uint64; context=4 bytes }
 *   ConfChangeV2 { transition=1 enum; changes=2 repeated ConfChangeSingle; context=3 bytes }
 *   ConfChangeSingle { type=1 enum; node_id=2 uint64 }
 */
import { ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, ConfChangeTypeCode, ConfChangeV2 } from './types';

const TYPE_BY_CODE: ConfChangeType[] = ['AddNode', 'RemoveNode', 'UpdateNode', 'AddLearnerNode'];
const TRANSITIONS: ConfChangeTransition[] = ['Auto', 'JointImplicit', 'JointExplicit'];

class Writer {
  private bytes: number[] = [];

  varint(v: bigint | number): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
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

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let shift = 0n;
    let result = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint overflow');
    }
  }

  bytes(): Uint8Array {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated bytes');
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
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
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) cc.id = r.varint();
    else if (field === 2 && wire === 0) cc.type = TYPE_BY_CODE[Number(r.varint())] ?? 'AddNode';
    else if (field === 3 && wire === 0) cc.nodeId = r.varint();
    else if (field === 4 && wire === 2) cc.context = r.bytes();
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
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) cc.transition = TRANSITIONS[Number(r.varint())] ?? 'Auto';
    else if (field === 2 && wire === 2) cc.changes.push(decodeSingle(r.bytes()));
    else if (field === 3 && wire === 2) cc.context = r.bytes();
    else r.skip(wire);
  }
  return cc;
}

function decodeSingle(data: Uint8Array): ConfChangeSingle {
  const r = new Reader(data);
  const s: ConfChangeSingle = { type: 'AddNode', nodeId: 0n };
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >> 3;
    const wire = key & 7;
    if (field === 1 && wire === 0) s.type = TYPE_BY_CODE[Number(r.varint())] ?? 'AddNode';
    else if (field === 2 && wire === 0) s.nodeId = r.varint();
    else r.skip(wire);
  }
  return s;
}
