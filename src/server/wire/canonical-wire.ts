/**
 * A request Go accepts but protobufjs would misread (strict-wire.ts's checkWire says which),
 * re-encoded in the form both read alike.
 */
import * as protobuf from 'protobufjs';
import { Reader } from '../../encoding/varint';
import { BYTES, VARINT, fieldInfo, idOf, readLength, readTag, skipField, skipVarint, wireOf } from './gogo-wire';

/**
 * The message `checkWire` accepted, re-encoded so that protobufjs reads what Go reads: known
 * fields with minimal tags and lengths (nested messages re-encoded too), 32-bit varints as Go
 * takes them (bits 0-31; a bool as 0 or 1), one member per oneof, one occurrence per singular
 * message field, and no unknown fields (both decoders skip them).
 */
export function canonical(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length): Buffer {
  // Known fields in wire order; a oneof keeps only its last member (Go replaces the oneof, and
  // protobufjs would keep them all), and a singular message field's occurrences are merged into
  // one (Go merges them, protobufjs would keep the last).
  const parts: (Uint8Array[] | undefined)[] = [];
  const merged = new Map<number, { at: number; bodies: Uint8Array[]; rt: protobuf.Type }>();
  const lastOfOneof = new Map<string, number>();
  const infos = fieldInfo(type);
  const r = new Reader(buf, start);
  while (r.pos < end) {
    const t = readTag(r, end);
    const id = idOf(t);
    const wire = wireOf(t);
    const f = infos.get(id);
    const at = r.pos;
    if (f === undefined) {
      skipField(r, wire, end);
      continue;
    }
    const rt = f.nested;
    const tag = varintBytes(id * 8 + wire);
    let part: Uint8Array[];
    if (rt !== undefined && wire === BYTES) {
      const len = readLength(r, end);
      const body = buf.subarray(r.pos, r.pos + len);
      r.pos += len;
      if (f.singularMessage) {
        const m = merged.get(id);
        if (m !== undefined) {
          m.bodies.push(body);
          continue;
        }
        merged.set(id, { at: parts.length, bodies: [body], rt });
        parts.push([]);
        continue;
      }
      const c = canonical(rt, body);
      part = [tag, varintBytes(c.length), c];
    } else if (wire === BYTES && f.packedVarint) {
      const len = readLength(r, end);
      const post = r.pos + len;
      const items: Uint8Array[] = [];
      while (r.pos < post) {
        const from = r.pos;
        skipVarint(r, end);
        items.push(f.thirtyTwo ? varint32(buf, from, end, f.bool) : buf.subarray(from, r.pos));
      }
      const packed = Buffer.concat(items);
      part = [tag, varintBytes(packed.length), packed];
    } else if (wire === BYTES) {
      const len = readLength(r, end);
      part = [tag, varintBytes(len), buf.subarray(r.pos, r.pos + len)];
      r.pos += len;
    } else if (wire === VARINT && f.thirtyTwo) {
      skipVarint(r, end);
      part = [tag, varint32(buf, at, end, f.bool)];
    } else {
      skipField(r, wire, end);
      part = [tag, buf.subarray(at, r.pos)];
    }
    if (f.oneof !== undefined) {
      const prev = lastOfOneof.get(f.oneof);
      if (prev !== undefined) parts[prev] = undefined;
      lastOfOneof.set(f.oneof, parts.length);
    }
    parts.push(part);
  }
  for (const [id, m] of merged) {
    const c = canonical(m.rt, Buffer.concat(m.bodies));
    parts[m.at] = [varintBytes(id * 8 + BYTES), varintBytes(c.length), c];
  }
  return Buffer.concat(parts.flatMap((p) => p ?? []));
}

/** A 32-bit varint field's value as Go takes it (bits 0-31; a bool: whether any bit is set), re-encoded. */
function varint32(buf: Uint8Array, pos: number, end: number, bool: boolean): Uint8Array {
  const v = low32(buf, pos, end);
  return varintBytes(bool ? (v.any ? 1 : 0) : v.low);
}

/** Bits 0-31 of the varint at `pos` (unsigned), and whether any of its 64 bits is set. */
function low32(buf: Uint8Array, pos: number, end: number): { low: number; any: boolean } {
  let low = 0;
  let any = false;
  let mul = 1;
  for (let i = 0; pos < end && i < 10; i++) {
    const b = buf[pos++]!;
    if ((b & (i === 9 ? 0x01 : 0x7f)) !== 0) any = true; // Go keeps bit 63 of the 10th byte only
    if (i < 5) low += (b & 0x7f) * mul;
    mul *= 0x80;
    if (b < 0x80) break;
  }
  return { low: low % 2 ** 32, any };
}

function varintBytes(v: number): Uint8Array {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}
