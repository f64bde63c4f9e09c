/**
 * Loads etcd's API from `proto/` with the options every handler relies on: proto field names
 * (keepCase), 64-bit integers as decimal strings (never a JS number), enums as names, bytes as
 * Buffers, defaults filled in, oneof discriminators. Loaded once per process.
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import * as protoLoader from '@grpc/proto-loader';
import * as protobuf from 'protobufjs';
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';

export function protoRoot(): string {
  // src/server/wire -> repo root, both from the sources and from dist/.
  for (const up of ['../../..', '../../../..']) {
    const dir = resolve(__dirname, up, 'proto');
    if (existsSync(join(dir, 'etcd/api/etcdserverpb/rpc.proto'))) return dir;
  }
  throw new Error(`proto directory not found from ${__dirname}`);
}

export const PROTO_FILES = [
  'etcd/api/etcdserverpb/rpc.proto',
  'etcd/server/etcdserver/api/v3lock/v3lockpb/v3lock.proto',
  'etcd/server/etcdserver/api/v3election/v3electionpb/v3election.proto',
  'grpc/health/v1/health.proto',
];

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

let cached: protoLoader.PackageDefinition | undefined;

// etcd accepts Txns nested up to the max-txn-ops budget (127 levels by default); protobufjs stops
// decoding at 100 levels. Raise its limit so such requests reach validation and get etcd's answer.
protobuf.util.recursionLimit = 1024;
protobuf.Reader.recursionLimit = 1024;

// protobufjs reads a 32-bit varint longer than 5 bytes by skipping exactly 5 more bytes, which
// misreads any 6- to 9-byte encoding; Go (etcd) takes the low 32 bits of a varint of any length
// up to 10 bytes. Read them the way Go does.
protobuf.Reader.prototype.uint32 = function uint32(this: protobuf.Reader): number {
  let value = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (this.pos >= this.len) throw new RangeError(`index out of range: ${this.pos} + 1 > ${this.len}`);
    const b = this.buf[this.pos++]!;
    if (shift < 32) value = (value | ((b & 0x7f) << shift)) >>> 0;
    if (b < 0x80) return value;
  }
  throw new Error('invalid varint encoding');
};

export function packageDefinition(): protoLoader.PackageDefinition {
  if (cached === undefined) {
    const root = protoRoot();
    cached = protoLoader.loadSync(PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [root] });
  }
  return cached;
}

/** The service definition of a fully qualified service name, e.g. `etcdserverpb.KV`. */
export function serviceDefinition(name: string): ServiceDefinition {
  const def = packageDefinition()[name];
  if (def === undefined || 'format' in def) throw new Error(`no service ${name} in protos`);
  return def as unknown as ServiceDefinition;
}

/** The request/response encoders of one method, e.g. (`etcdserverpb.KV`, `Put`). */
export function method(service: string, name: string): MethodDefinition<object, object> {
  const m = (serviceDefinition(service) as Record<string, MethodDefinition<object, object>>)[name];
  if (m === undefined) throw new Error(`no method ${service}/${name}`);
  return m;
}
