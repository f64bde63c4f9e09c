/**
 * Refuses protobuf encodings that Go's proto package (and so etcd) rejects but protobufjs would
 * decode: a known field with the wrong wire type, field number 0, a truncated varint or length,
 * a group end without a start. Nested messages are checked too. Unknown fields of valid wire
 * types are skipped, as both decoders do. Encodings Go accepts but protobufjs would read
 * otherwise (long tags and lengths, long 32-bit varints, two members of a oneof, a singular
 * message field twice) are decoded from canonical-wire.ts's copy.
 */
import * as protobuf from 'protobufjs';
import { join } from 'node:path';
import { Reader } from '../../encoding/varint';
import { BYTES, Bad, VARINT, fieldInfo, idOf, lastReadPlain, readLength, readTag, skipField, skipVarint, wireOf } from './gogo-wire';
import { canonical } from './canonical-wire';

/**
 * Throws when `buf` is not a valid encoding of `type`. Returns true when Go accepts it but
 * protobufjs would misread it (gogo-wire.ts): decode {@link canonical}'s copy.
 */
export function checkWire(type: protobuf.Type, buf: Uint8Array, start = 0, end = buf.length, depth = 0): boolean {
  return checkFields(type, new Reader(buf, start), end, depth);
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
    odd ||= !lastReadPlain();
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
      if (f.packedVarint && wire === BYTES) {
        // Packed varints, read as Go reads them: the last one may run past the packed length.
        const len = readLength(r, end);
        odd ||= !lastReadPlain();
        const post = r.pos + len;
        while (r.pos < post) odd = (skipVarint(r, end) >= 5 && f.thirtyTwo) || odd;
        odd ||= r.pos > post;
        continue;
      }
      if (f.nested !== undefined && wire === BYTES) {
        const len = readLength(r, end);
        odd ||= !lastReadPlain();
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
