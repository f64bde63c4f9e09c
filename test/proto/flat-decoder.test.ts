/**
 * The one-pass request decoders (wire/flat-decoder.ts) for Put, Range and DeleteRange against
 * the general path the server uses for every other request (strict-wire.ts's check,
 * proto-loader's decode, raw-request.ts's [RAW]): on random encodings (fields in any order,
 * repeated, absent; unknown fields and known ones in a wrong wire type; negative and 64-bit
 * integers; enum values with and without names; non-canonical varints) and on damaged ones
 * (truncated, a byte changed), whatever a one-pass decoder answers must be what the general path
 * answers, and it must defer (undefined) wherever the general path refuses. Encodings as
 * clients make them must take the one-pass path.
 *
 * Replay: FC_SEED=<seed> node --test dist/test/proto/flat-decoder.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSeed } from '../helpers/fc-seed';
import * as protobuf from 'protobufjs';
import { flatDecoder, kvRequestDecoder } from '../../src/server/wire/flat-decoder';
import { messageType, strictRequests } from '../../src/server/wire/strict-wire';
import { withRawRequests } from '../../src/server/wire/raw-request';
import { method, protoRoot, PROTO_FILES } from '../../src/server/wire/protos';
import { KV_RAW_METHODS } from '../../src/server/api/kv-service';

const NAMES = ['Put', 'Range', 'DeleteRange'] as const;
const general = strictRequests(withRawRequests('etcdserverpb.KV', KV_RAW_METHODS), protoRoot(), PROTO_FILES);
const typeOf = (name: string): protobuf.Type => messageType(protoRoot(), PROTO_FILES, `etcdserverpb.${name}Request`);

function varint(v: bigint, extra = 0): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  // A non-canonical encoding: `extra` continuation bytes of zero bits (still at most 10 bytes).
  if (extra > 0 && out.length + 1 + extra <= 10) {
    out.push(Number(x) | 0x80);
    for (let i = 1; i < extra; i++) out.push(0x80);
    out.push(0);
    return out;
  }
  out.push(Number(x));
  return out;
}

const bytes = fc.uint8Array({ maxLength: 40 });
const int64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1000n }), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));

/** One encoded field of `type`: its own fields in their wire types, or junk. */
function fieldOf(type: protobuf.Type): fc.Arbitrary<number[]> {
  const own = type.fieldsArray.map((f): fc.Arbitrary<number[]> => {
    f.resolve();
    if (f.type === 'bytes') return bytes.map((b) => [f.id * 8 + 2, ...varint(BigInt(b.length)), ...b]);
    if (f.type === 'int64') return fc.tuple(int64, fc.integer({ min: 0, max: 3 })).map(([v, extra]) => [f.id * 8, ...varint(v, extra)]);
    // bool, enum: small values, some without a meaning, some in more bytes than needed.
    return fc
      .tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 }))
      .map(([v, extra]) => [f.id * 8, ...varint(BigInt(v), extra)]);
  });
  // Fields in any wire type, numbered 1-20 (known ones in a wrong type, and unknown ones).
  const junk = fc.tuple(fc.integer({ min: 1, max: 20 }), fc.constantFrom(0, 1, 2, 5), bytes).map(([id, wire, b]) => {
    if (wire === 0) return [id * 8, ...varint(BigInt(b.length))];
    if (wire === 1) return [id * 8 + 1, ...Array.from({ length: 8 }, (_, i) => b[i] ?? 0)];
    if (wire === 5) return [id * 8 + 5, ...Array.from({ length: 4 }, (_, i) => b[i] ?? 0)];
    return [id * 8 + 2, ...varint(BigInt(b.length)), ...b];
  });
  return fc.oneof(...own, junk);
}

/** A damage: none, a cut at a fraction of the length, or one byte replaced. */
type Damage = undefined | readonly ['cut', number] | readonly ['set', number, number];
const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.constant(undefined),
  fc.tuple(fc.constant('cut' as const), fraction),
  fc.tuple(fc.constant('set' as const), fraction, fc.integer({ min: 0, max: 255 })),
);

function damaged(b: number[], d: Damage): Buffer {
  const out = Buffer.from(b);
  if (d === undefined || out.length === 0) return out;
  const at = Math.min(out.length - 1, Math.floor(d[1] * out.length));
  if (d[0] === 'cut') return out.subarray(0, at);
  out[at] = d[2];
  return out;
}

function generalOrRefused(name: string, buf: Buffer): unknown {
  try {
    return general[name]!.requestDeserialize(buf);
  } catch {
    return 'refused';
  }
}

for (const name of NAMES) {
  const type = typeOf(name);
  const decode = kvRequestDecoder(name, (KV_RAW_METHODS as readonly string[]).includes(name));

  test(`${name}: the one-pass decoder agrees with the general path, and defers wherever that one refuses`, (t) => {
    const s = fcSeed(t);
    let fast = 0;
    fc.assert(
      fc.property(fc.array(fieldOf(type), { maxLength: 8 }), damage, (fields, d) => {
        const buf = damaged(fields.flat(), d);
        const want = generalOrRefused(name, buf);
        const got = decode(buf);
        if (got === undefined) return;
        fast++;
        assert.notEqual(want, 'refused', `the one-pass decoder took ${buf.toString('hex')}, which the general path refuses`);
        assert.deepStrictEqual(got, want, buf.toString('hex'));
      }),
      { seed: s, numRuns: 3000 },
    );
    assert.ok(fast > 300, `only ${fast} of 3000 encodings took the one-pass path`);
  });

  test(`${name}: requests as clients encode them take the one-pass path`, (t) => {
    const s = fcSeed(t);
    const serialize = method('etcdserverpb.KV', name).requestSerialize;
    const value = (f: protobuf.Field): fc.Arbitrary<unknown> => {
      f.resolve();
      if (f.type === 'bytes') return bytes.map((b) => Buffer.from(b));
      if (f.type === 'int64') return int64.map(String);
      if (f.type === 'bool') return fc.boolean();
      return fc.constantFrom(...Object.keys((f.resolvedType as protobuf.Enum).values));
    };
    const request = fc.record(Object.fromEntries(type.fieldsArray.map((f) => [f.name, value(f)])));
    fc.assert(
      fc.property(request, (req) => {
        const buf = serialize(req);
        const got = decode(buf);
        assert.ok(got !== undefined, buf.toString('hex'));
        assert.deepStrictEqual(got, general[name]!.requestDeserialize(buf));
      }),
      { seed: s, numRuns: 500 },
    );
  });
}

test('a message with a field no one-pass decoder holds gets none', () => {
  assert.throws(() => flatDecoder(typeOf('Txn'), false), /cannot be decoded in one pass/);
  assert.throws(
    () => flatDecoder(messageType(protoRoot(), PROTO_FILES, 'etcdserverpb.AuthUserAddRequest'), false),
    /cannot be decoded in one pass/,
  );
});

test('strictRequests uses a fast decoder where it answers and the checked path where it does not', () => {
  const calls: number[] = [];
  const served = strictRequests(withRawRequests('etcdserverpb.KV', KV_RAW_METHODS), protoRoot(), PROTO_FILES, {
    '/etcdserverpb.KV/Put': (buf) => {
      calls.push(buf.length);
      return buf.length === 0 ? { fast: true } : undefined;
    },
  });
  const put = method('etcdserverpb.KV', 'Put');
  assert.deepEqual(served.Put!.requestDeserialize(Buffer.alloc(0)), { fast: true });
  const slow = served.Put!.requestDeserialize(put.requestSerialize({ key: Buffer.from('k') })) as { key: Buffer };
  assert.equal(slow.key.toString(), 'k');
  assert.throws(() => served.Put!.requestDeserialize(Buffer.from([0x0a, 0x05, 0x01])));
  assert.deepEqual(calls, [0, 3, 3]);
  // Other methods are untouched.
  assert.equal((served.Range!.requestDeserialize(Buffer.alloc(0)) as { limit: string }).limit, '0');
});
