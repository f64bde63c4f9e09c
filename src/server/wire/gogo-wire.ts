/**
 * The protobuf wire format as etcd's gogo-generated Unmarshal reads it: field tags (wire type and
 * int32 field number), lengths, skipped fields and groups, and which of them protobufjs's own
 * reader would take otherwise (lastReadPlain). What strict-wire.ts checks requests with and
 * canonical-wire.ts re-encodes them with.
 */
import * as protobuf from 'protobufjs';
import { Reader } from '../../encoding/varint';

export const VARINT = 0;
export const FIXED64 = 1;
export const BYTES = 2;
export const START_GROUP = 3;
export const END_GROUP = 4;
export const FIXED32 = 5;

const SCALAR_WIRE: Record<string, number> = {
  int32: VARINT,
  int64: VARINT,
  uint32: VARINT,
  uint64: VARINT,
  sint32: VARINT,
  sint64: VARINT,
  bool: VARINT,
  fixed64: FIXED64,
  sfixed64: FIXED64,
  double: FIXED64,
  fixed32: FIXED32,
  sfixed32: FIXED32,
  float: FIXED32,
  string: BYTES,
  bytes: BYTES,
};

/** Bytes Go refuses to decode. */
export class Bad extends Error {}

/** Varint field types protobufjs reads with its 32-bit reader (at most 5 bytes, bits 0-31). */
const THIRTY_TWO_BIT = new Set(['int32', 'uint32', 'sint32', 'bool']);

/** What the check needs of a known field, worked out once per type. */
export interface FieldInfo {
  name: string;
  /** The wire type Go accepts (undefined: any). */
  expected: number | undefined;
  packable: boolean;
  /** The message type of a message field. */
  nested: protobuf.Type | undefined;
  /** A varint protobufjs reads with its 32-bit reader. */
  thirtyTwo: boolean;
  /** A repeated varint field, which may come packed. */
  packedVarint: boolean;
  bool: boolean;
  /** The name of its oneof. */
  oneof: string | undefined;
  /** Index of its oneof, or of the field itself for a singular message field; -1 otherwise. */
  group: number;
  singularMessage: boolean;
}

const fieldInfos = new WeakMap<protobuf.Type, Map<number, FieldInfo>>();

export function fieldInfo(type: protobuf.Type): Map<number, FieldInfo> {
  let m = fieldInfos.get(type);
  if (m !== undefined) return m;
  m = new Map();
  const groups = new Map<string, number>();
  for (const field of type.fieldsArray) {
    field.resolve();
    const rt = field.resolvedType;
    const nested = rt instanceof protobuf.Type ? rt : undefined;
    const expected = nested !== undefined ? BYTES : rt instanceof protobuf.Enum ? VARINT : SCALAR_WIRE[field.type];
    const singularMessage = nested !== undefined && !field.repeated && !field.partOf;
    const groupName = field.partOf ? `oneof ${field.partOf.name}` : singularMessage ? `field ${field.id}` : undefined;
    let group = -1;
    if (groupName !== undefined) {
      group = groups.get(groupName) ?? groups.size;
      groups.set(groupName, group);
    }
    if (group > 30) throw new Error(`strict wire check: ${type.name} has more than 31 oneofs and message fields`);
    m.set(field.id, {
      name: field.name,
      expected,
      packable: field.repeated && expected !== BYTES,
      nested,
      thirtyTwo: rt instanceof protobuf.Enum || THIRTY_TWO_BIT.has(field.type),
      packedVarint: field.repeated && expected === VARINT,
      bool: field.type === 'bool',
      oneof: field.partOf?.name,
      group,
      singularMessage,
    });
  }
  fieldInfos.set(type, m);
  return m;
}

/**
 * A field tag as gogo's generated Unmarshal reads it: bits 0-34 of the varint (the wire type is
 * bits 0-2, the field number `int32(v >> 3)`: wireOf, idOf); more than 10 bytes overflow.
 * plainRead is false where protobufjs's reader (`uint32`: bits 0-31, and a tag longer than 5
 * bytes taken as 10) would read something else: more than 5 bytes, or bits 32-34 set.
 */
export function readTag(r: Reader, end: number): number {
  const buf = r.buf;
  const start = r.pos;
  if (start < end && buf[start]! < 0x80) {
    plainRead = true;
    return buf[r.pos++]!;
  }
  const low35 = readGoVarint(r, end);
  const len = r.pos - start;
  plainRead = len < 5 || (len === 5 && (buf[start + 4]! & 0x70) === 0);
  return low35;
}

let plainRead = true;

/**
 * Reads a varint as gogo's generated code does (at most 10 bytes, within `end`): returns bits
 * 0-34, exact in a double; highBits says whether any of bits 35-63 is set (bits past 63 are lost,
 * as in Go's shifts).
 */
function readGoVarint(r: Reader, end: number): number {
  const buf = r.buf;
  let low35 = 0;
  let high = false;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === 10) throw new Bad('integer overflow');
    if (r.pos >= end) throw new Bad('unexpected EOF');
    const b = buf[r.pos++]!;
    if (i < 5) low35 += (b & 0x7f) * mul;
    else if ((b & (i === 9 ? 0x01 : 0x7f)) !== 0) high = true;
    mul *= 0x80;
    if (b < 0x80) break;
  }
  highBits = high;
  return low35;
}

let highBits = false;

/** Whether protobufjs reads the last tag or length (readTag, readLength) as Go does. */
export function lastReadPlain(): boolean {
  return plainRead;
}

export const wireOf = (tag: number): number => tag % 8;
/** gogo's `int32(v >> 3)`. */
export const idOf = (tag: number): number => Math.floor(tag / 8) | 0;

/**
 * Skips one field's value of the given wire type (groups as gogo's generated skip does); false
 * when protobufjs would read its length otherwise (see readLength).
 */
export function skipField(r: Reader, wire: number, end: number): boolean {
  switch (wire) {
    case VARINT:
      r.varint();
      return true;
    case FIXED64:
      r.pos += 8;
      return true;
    case FIXED32:
      r.pos += 4;
      return true;
    case BYTES: {
      const len = readLength(r, end); // before r.pos: `r.pos += readLength(...)` would add to the old position
      r.pos += len;
      return plainRead;
    }
    case START_GROUP:
      return skipGroup(r, end);
    case END_GROUP:
      throw new Bad('unexpected end group');
    default:
      throw new Bad(`illegal wireType ${wire}`);
  }
}

/**
 * Skips a varint as gogo's generated code reads one: bounded by the message's `end` (not by an
 * enclosing packed field's length, which a packed element may run past), at most 10 bytes.
 * Returns its length in bytes.
 */
export function skipVarint(r: Reader, end: number): number {
  const start = r.pos;
  for (let i = 0; ; i++) {
    if (i === 10) throw new Bad('integer overflow');
    if (r.pos >= end) throw new Bad('unexpected EOF');
    if (r.buf[r.pos++]! < 0x80) return r.pos - start;
  }
}

/**
 * A length as gogo's generated code reads it: the varint's 64 bits as an int (at most 10 bytes),
 * refused when negative or past `end`. plainRead is false when protobufjs's 32-bit reader would
 * take other bytes for it (more than 5).
 */
export function readLength(r: Reader, end: number): number {
  const start = r.pos;
  const low35 = readGoVarint(r, end);
  // Any of bits 35-63 set: negative, or far past the end.
  if (highBits || r.pos + low35 > end) throw new Bad('invalid length or unexpected EOF');
  plainRead = r.pos - start <= 5;
  return low35;
}

/**
 * Skips a group as gogo's generated skip does: nesting is counted, field numbers are not checked.
 * False when protobufjs would read one of its tags or lengths otherwise.
 */
function skipGroup(r: Reader, end: number): boolean {
  let depth = 1;
  let plain = true;
  while (depth > 0) {
    if (r.pos >= end) throw new Bad('unexpected EOF');
    const wire = wireOf(readTag(r, end));
    plain &&= plainRead;
    if (wire === START_GROUP) depth++;
    else if (wire === END_GROUP) depth--;
    else plain = skipField(r, wire, end) && plain;
  }
  if (r.pos > end) throw new Bad('unexpected EOF');
  return plain;
}
