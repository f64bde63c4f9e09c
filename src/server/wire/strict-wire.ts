/**
 * Refuses protobuf encodings that Go's proto package (and so etcd) rejects but protobufjs would
 * decode: a known field with the wrong wire type, field number 0, a truncated varint or length,
 * a group end without a start. Nested messages are checked too. Unknown fields of valid wire
 * types are skipped, as both decoders do.
 */
import * as protobuf from 'protobufjs';
import { join } from 'node:path';

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

function varint(buf: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Bad('unexpected EOF');
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    if (b < 0x80) return [v, pos];
    mul *= 128;
  }
  throw new Bad('varint overflow');
}

/** Throws when `buf` is not a valid encoding of `type`. */
export function checkWire(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length, depth = 0): void {
  // Past this depth the decoder's own nesting limit decides (a Txn that deep gets etcd's
  // "too many operations"); the check stops rather than overflow the stack.
  if (depth > 512) return;
  let pos = start;
  while (pos < end) {
    let tag: number;
    [tag, pos] = varint(buf, pos);
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
        let len: number;
        [len, pos] = varint(buf, pos);
        if (pos + len > end) throw new Bad('unexpected EOF');
        checkWire(rt, buf, pos, pos + len, depth + 1);
        pos += len;
        continue;
      }
    }
    switch (wire) {
      case VARINT:
        [, pos] = varint(buf, pos);
        break;
      case FIXED64:
        pos += 8;
        break;
      case FIXED32:
        pos += 4;
        break;
      case BYTES: {
        let len: number;
        [len, pos] = varint(buf, pos);
        pos += len;
        break;
      }
      case START_GROUP:
        pos = skipGroup(buf, pos, end);
        break;
      case END_GROUP:
        throw new Bad('unexpected end group');
      default:
        throw new Bad(`illegal wireType ${wire}`);
    }
    if (pos > end) throw new Bad('unexpected EOF');
  }
}

/** Skips a group as gogo's generated skip does: nesting is counted, field numbers are not checked. */
function skipGroup(buf: Uint8Array, pos: number, end: number): number {
  let depth = 1;
  while (depth > 0) {
    if (pos >= end) throw new Bad('unexpected EOF');
    let tag: number;
    [tag, pos] = varint(buf, pos);
    const wire = tag % 8;
    if (wire === START_GROUP) depth++;
    else if (wire === END_GROUP) depth--;
    else if (wire === VARINT) [, pos] = varint(buf, pos);
    else if (wire === FIXED64) pos += 8;
    else if (wire === FIXED32) pos += 4;
    else if (wire === BYTES) {
      let len: number;
      [len, pos] = varint(buf, pos);
      pos += len;
    } else throw new Bad(`illegal wireType ${wire}`);
  }
  if (pos > end) throw new Bad('unexpected EOF');
  return pos;
}

let root: protobuf.Root | undefined;

/** The protobufjs type of a fully qualified message name in `proto/`. */
export function messageType(protoDir: string, files: readonly string[], name: string): protobuf.Type {
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
  return root.lookupType(name);
}

/**
 * A copy of a service definition whose request decoders first check the wire format (so a
 * malformed request fails to decode, with gRPC's INTERNAL status, exactly when etcd's would).
 */
export function strictRequests(
  def: import('@grpc/grpc-js').ServiceDefinition,
  protoDir: string,
  files: readonly string[],
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
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer) => {
        checkWire(type, buf);
        return decode(buf);
      },
    };
  }
  return out as import('@grpc/grpc-js').ServiceDefinition;
}
