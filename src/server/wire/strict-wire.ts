/**
 * Refuses protobuf encodings that Go's proto package (and so etcd) rejects but protobufjs would
 * decode: a known field with the wrong wire type, field number 0, a truncated varint or length,
 * a group end without a start. Nested messages are checked too. Unknown fields of valid wire
 * types are skipped, as both decoders do.
 */
import * as protobuf from 'protobufjs';
import { join } from 'node:path';
import { Reader } from '../../encoding/varint';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const START_GROUP = 3;
const END_GROUP = 4;
const FIXED32 = 5;

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

class Bad extends Error {}

/**
 * Throws when `buf` is not a valid encoding of `type`. Returns true when Go accepts it but
 * protobufjs would misread it (see readTag and THIRTY_TWO_BIT): decode {@link canonical}'s copy.
 */
export function checkWire(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length, depth = 0): boolean {
  return checkFields(type, new Reader(buf, start), end, depth);
}

/** Varint field types protobufjs reads with its 32-bit reader (at most 5 bytes, bits 0-31). */
const THIRTY_TWO_BIT = new Set(['int32', 'uint32', 'sint32', 'bool']);

/** What the check needs of a known field, worked out once per type. */
interface FieldInfo {
  name: string;
  /** The wire type Go accepts (undefined: any). */
  expected: number | undefined;
  packable: boolean;
  /** The message type of a message field. */
  nested: protobuf.Type | undefined;
  /** A varint protobufjs reads with its 32-bit reader. */
  thirtyTwo: boolean;
  /** Index of its oneof, or of the field itself for a singular message field; -1 otherwise. */
  group: number;
  singularMessage: boolean;
}

const fieldInfos = new WeakMap<protobuf.Type, Map<number, FieldInfo>>();

function fieldInfo(type: protobuf.Type): Map<number, FieldInfo> {
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
      group,
      singularMessage,
    });
  }
  fieldInfos.set(type, m);
  return m;
}

function checkFields(type: protobuf.Type, r: Reader, end: number, depth: number): boolean {
  // Past this depth the decoder's own nesting limit decides (a Txn that deep gets etcd's
  // "too many operations"); the check stops rather than overflow the stack.
  if (depth > 512) {
    r.pos = end;
    return false;
  }
  const infos = fieldInfo(type);
  let odd = false;
  // Forms Go and protobufjs decode differently: two members of a oneof, a singular message field twice.
  let seenGroups = 0;
  let lastMember: number[] | undefined;
  while (r.pos < end) {
    const tag = readTag(r, end);
    odd ||= !plainRead;
    const id = idOf(tag);
    const wire = wireOf(tag);
    // gogo-generated code takes the field number as an int32: 0, negative or overflowing is illegal.
    if (id <= 0) throw new Bad(`illegal tag ${id}`);
    const f = infos.get(id);
    if (f !== undefined) {
      if (f.expected !== undefined && wire !== f.expected && !(f.packable && wire === BYTES)) {
        throw new Bad(`wrong wireType = ${wire} for field ${f.name}`);
      }
      if (f.group >= 0) {
        const bit = 1 << f.group;
        if ((seenGroups & bit) !== 0 && (f.singularMessage || lastMember![f.group] !== id)) odd = true;
        seenGroups |= bit;
        (lastMember ??= [])[f.group] = id;
      }
      if (f.nested !== undefined && wire === BYTES) {
        const len = readLength(r, end);
        odd ||= !plainRead;
        odd = checkFields(f.nested, r, r.pos + len, depth + 1) || odd;
        continue;
      }
      if (wire === VARINT && f.thirtyTwo) {
        const at = r.pos;
        r.varint();
        if (r.pos > end) throw new Bad('unexpected EOF');
        odd ||= r.pos - at >= 5;
        continue;
      }
    }
    odd = !skipField(r, wire, end) || odd;
    if (r.pos > end) throw new Bad('unexpected EOF');
  }
  return odd;
}

/**
 * A field tag as gogo's generated Unmarshal reads it: bits 0-34 of the varint (the wire type is
 * bits 0-2, the field number `int32(v >> 3)`: wireOf, idOf); more than 10 bytes overflow.
 * plainRead is false where protobufjs's reader (`uint32`: bits 0-31, and a tag longer than 5
 * bytes taken as 10) would read something else: more than 5 bytes, or bits 32-34 set.
 */
function readTag(r: Reader, end: number): number {
  const buf = r.buf;
  const start = r.pos;
  if (start < end && buf[start]! < 0x80) {
    plainRead = true;
    return buf[r.pos++]!;
  }
  let low35 = 0; // bits 0-34, exact in a double
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === 10) throw new Bad('integer overflow');
    if (r.pos >= end) throw new Bad('unexpected EOF');
    const b = buf[r.pos++]!;
    if (i < 5) low35 += (b & 0x7f) * mul;
    mul *= 0x80;
    if (b < 0x80) break;
  }
  const len = r.pos - start;
  plainRead = len < 5 || (len === 5 && (buf[start + 4]! & 0x70) === 0);
  return low35;
}

/** Whether protobufjs reads the last tag or length (readTag, readLength) as Go does. */
let plainRead = true;

const wireOf = (tag: number): number => tag % 8;
/** gogo's `int32(v >> 3)`. */
const idOf = (tag: number): number => Math.floor(tag / 8) | 0;

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
  const r = new Reader(buf, start);
  while (r.pos < end) {
    const t = readTag(r, end);
    const id = idOf(t);
    const wire = wireOf(t);
    const field = type.fieldsById[id];
    const f = fieldInfo(type).get(id);
    const at = r.pos;
    if (field === undefined || f === undefined) {
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
    } else if (wire === BYTES) {
      const len = readLength(r, end);
      part = [tag, varintBytes(len), buf.subarray(r.pos, r.pos + len)];
      r.pos += len;
    } else if (wire === VARINT && f.thirtyTwo) {
      const v = low32(buf, at, end);
      r.varint();
      part = [tag, varintBytes(field.type === 'bool' ? (v.any ? 1 : 0) : v.low)];
    } else {
      skipField(r, wire, end);
      part = [tag, buf.subarray(at, r.pos)];
    }
    if (field.partOf) {
      const prev = lastOfOneof.get(field.partOf.name);
      if (prev !== undefined) parts[prev] = undefined;
      lastOfOneof.set(field.partOf.name, parts.length);
    }
    parts.push(part);
  }
  for (const [id, m] of merged) {
    const c = canonical(m.rt, Buffer.concat(m.bodies));
    parts[m.at] = [varintBytes(id * 8 + BYTES), varintBytes(c.length), c];
  }
  return Buffer.concat(parts.flatMap((p) => p ?? []));
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

/**
 * Skips one field's value of the given wire type (groups as gogo's generated skip does); false
 * when protobufjs would read its length otherwise (see readLength).
 */
function skipField(r: Reader, wire: number, end: number): boolean {
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
 * A length as gogo's generated code reads it: the varint's 64 bits as an int (at most 10 bytes),
 * refused when negative or past `end`. plainRead is false when protobufjs's 32-bit reader would
 * take other bytes for it (more than 5).
 */
function readLength(r: Reader, end: number): number {
  const buf = r.buf;
  const start = r.pos;
  let low35 = 0;
  let high = false; // any of bits 35-63 set: negative, or far past the end
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
  if (high || r.pos + low35 > end) throw new Bad('invalid length or unexpected EOF');
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

let root: protobuf.Root | undefined;

/** The protobufjs type of a fully qualified message name in `proto/`. */
export function messageType(protoDir: string, files: readonly string[], name: string): protobuf.Type {
  return typeRoot(protoDir, files).lookupType(name);
}

/** A method's request and response types and whether each side streams. */
export function methodTypes(
  protoDir: string,
  files: readonly string[],
  service: string,
  method: string,
): { request: protobuf.Type; response: protobuf.Type; requestStream: boolean; responseStream: boolean } {
  const m = typeRoot(protoDir, files).lookupService(service).methods[method];
  if (m === undefined) throw new Error(`no method ${service}/${method}`);
  m.resolve();
  return {
    request: m.resolvedRequestType!,
    response: m.resolvedResponseType!,
    requestStream: m.requestStream === true,
    responseStream: m.responseStream === true,
  };
}

function typeRoot(protoDir: string, files: readonly string[]): protobuf.Root {
  if (root === undefined) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => join(protoDir, target);
    r.loadSync(
      files.map((f) => f),
      { keepCase: true },
    );
    r.resolveAll();
    root = r;
  }
  return root;
}

/**
 * A copy of a service definition whose request decoders first check the wire format (so a
 * malformed request fails to decode, with gRPC's INTERNAL status, exactly when etcd's would).
 * `fast` maps a method's path to a decoder that gives the same result in one pass for the
 * encodings it knows, and undefined for the others, which are then checked and decoded.
 */
export function strictRequests(
  def: import('@grpc/grpc-js').ServiceDefinition,
  protoDir: string,
  files: readonly string[],
  fast: Readonly<Record<string, (buf: Buffer) => unknown>> = {},
): import('@grpc/grpc-js').ServiceDefinition {
  const out: Record<string, import('@grpc/grpc-js').MethodDefinition<object, object>> = {};
  for (const [name, m] of Object.entries(def) as [
    string,
    import('@grpc/grpc-js').MethodDefinition<object, object> & { requestType?: { type?: { name?: string } } },
  ][]) {
    const pkg = m.path.slice(1, m.path.lastIndexOf('.', m.path.indexOf('/', 1)));
    const short = m.requestType?.type?.name;
    if (short === undefined) {
      out[name] = m;
      continue;
    }
    const type = messageType(protoDir, files, `${pkg}.${short}`);
    const decode = m.requestDeserialize;
    const checked = (buf: Buffer): object => (checkWire(type, buf) ? decode(canonical(type, buf)) : decode(buf));
    const quick = fast[m.path];
    out[name] = { ...m, requestDeserialize: quick === undefined ? checked : (buf: Buffer) => quick(buf) ?? checked(buf) };
  }
  return out as import('@grpc/grpc-js').ServiceDefinition;
}
