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

/** Throws when `buf` is not a valid encoding of `type`. */
export function checkWire(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length, depth = 0): void {
  checkFields(type, new Reader(buf, start), end, depth);
}

function checkFields(type: protobuf.Type, r: Reader, end: number, depth: number): void {
  // Past this depth the decoder's own nesting limit decides (a Txn that deep gets etcd's
  // "too many operations"); the check stops rather than overflow the stack.
  if (depth > 512) {
    r.pos = end;
    return;
  }
  while (r.pos < end) {
    const tag = r.varint();
    const id = Math.floor(tag / 8);
    const wire = tag % 8;
    // gogo-generated code takes the field number as an int32: 0, negative or overflowing is illegal.
    if ((id | 0) <= 0) throw new Bad(`illegal tag ${id | 0}`);
    const field = type.fieldsById[id];
    if (field !== undefined) {
      field.resolve();
      const rt = field.resolvedType;
      const expected = rt instanceof protobuf.Type ? BYTES : rt instanceof protobuf.Enum ? VARINT : SCALAR_WIRE[field.type];
      const packable = field.repeated && expected !== BYTES;
      if (expected !== undefined && wire !== expected && !(packable && wire === BYTES)) {
        throw new Bad(`wrong wireType = ${wire} for field ${field.name}`);
      }
      if (rt instanceof protobuf.Type && wire === BYTES) {
        const len = r.varint();
        const bodyEnd = r.pos + len;
        if (bodyEnd > end) throw new Bad('unexpected EOF');
        checkFields(rt, r, bodyEnd, depth + 1);
        continue;
      }
    }
    skipField(r, wire, end);
    if (r.pos > end) throw new Bad('unexpected EOF');
  }
}

/** Skips one field's value of the given wire type (groups as gogo's generated skip does). */
function skipField(r: Reader, wire: number, end: number): void {
  switch (wire) {
    case VARINT:
      r.varint();
      return;
    case FIXED64:
      r.pos += 8;
      return;
    case FIXED32:
      r.pos += 4;
      return;
    case BYTES: {
      const len = r.varint(); // read before r.pos: `r.pos += r.varint()` would add to the old position
      r.pos += len;
      return;
    }
    case START_GROUP:
      skipGroup(r, end);
      return;
    case END_GROUP:
      throw new Bad('unexpected end group');
    default:
      throw new Bad(`illegal wireType ${wire}`);
  }
}

/** Skips a group as gogo's generated skip does: nesting is counted, field numbers are not checked. */
function skipGroup(r: Reader, end: number): void {
  let depth = 1;
  while (depth > 0) {
    if (r.pos >= end) throw new Bad('unexpected EOF');
    const wire = r.varint() % 8;
    if (wire === START_GROUP) depth++;
    else if (wire === END_GROUP) depth--;
    else skipField(r, wire, end);
  }
  if (r.pos > end) throw new Bad('unexpected EOF');
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
    const checked = (buf: Buffer): object => {
      checkWire(type, buf);
      return decode(buf);
    };
    const quick = fast[m.path];
    out[name] = { ...m, requestDeserialize: quick === undefined ? checked : (buf: Buffer) => quick(buf) ?? checked(buf) };
  }
  return out as import('@grpc/grpc-js').ServiceDefinition;
}
