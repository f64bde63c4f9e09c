/**
 * RangeResponses written straight from revision records (RangeEncoder.record) are byte for byte
 * the ones written from KeyValues (RangeEncoder.kv), and protobufjs decodes them to exactly what
 * went in: random keys, values, revisions up to 2^53-1 and int64 leases (negative ones too).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSeed } from '../helpers/fc-seed';
import type { KeyValue } from '../../src/mvcc';
import { encodeRecord } from '../../src/mvcc/codec';
import { encodeRange, RangeEncoder } from '../../src/server/wire/range-encoder';
import { method } from '../../src/server/wire/protos';

const rangeMethod = method('etcdserverpb.KV', 'Range');
const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const revision = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const lease = fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
const keyValue: fc.Arbitrary<KeyValue> = fc
  .record({ key: bytes(300), create_revision: revision, mod_revision: revision, version: revision, value: bytes(300), lease })
  .map((kv) => ({ ...kv }));
const header = { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: 7, raft_term: 2 };

type Obj = Record<string, unknown>;

test('RangeEncoder.record writes the same bytes as RangeEncoder.kv, and protobufjs reads them back', (t) => {
  const s = fcSeed(t);
  fc.assert(
    fc.property(fc.array(keyValue, { maxLength: 40 }), fc.boolean(), fc.nat(), (kvs, more, count) => {
      const fromKv = new RangeEncoder(header);
      const fromRecord = new RangeEncoder(header);
      for (const kv of kvs) {
        fromKv.kv(kv);
        fromRecord.record(encodeRecord(kv, false));
      }
      const summary = { revision: header.revision, more, count };
      const a = fromKv.finish(summary);
      const b = fromRecord.finish(summary);
      assert.deepEqual(b, a);
      const o = rangeMethod.responseDeserialize(b) as Obj;
      const got = (o.kvs as Obj[]).map((kv) => ({
        key: Buffer.from(kv.key as Uint8Array),
        create_revision: Number(kv.create_revision),
        mod_revision: Number(kv.mod_revision),
        version: Number(kv.version),
        value: Buffer.from(kv.value as Uint8Array),
        lease: BigInt(String(kv.lease)),
      }));
      assert.deepEqual(got, kvs);
      assert.equal(o.more === true, more);
      assert.equal(Number(o.count), count);
    }),
    { seed: s, numRuns: 300 },
  );
});

test('a response larger than the first chunk grows and joins whole', () => {
  const kvs: KeyValue[] = [];
  for (let i = 0; i < 3000; i++) {
    kvs.push({
      key: Buffer.from(`k${i}`),
      create_revision: i + 1,
      mod_revision: i + 2,
      version: 1,
      value: Buffer.alloc(i % 700, i & 0xff),
      lease: BigInt(i),
    });
  }
  const enc = new RangeEncoder(header);
  for (const kv of kvs) enc.record(encodeRecord(kv, false));
  const o = rangeMethod.responseDeserialize(enc.finish({ revision: header.revision, more: false, count: kvs.length })) as Obj;
  const got = o.kvs as Obj[];
  assert.equal(got.length, kvs.length);
  for (const i of [0, 1, 1499, 2999]) {
    assert.deepEqual(Buffer.from(got[i]!.key as Uint8Array), kvs[i]!.key);
    assert.deepEqual(Buffer.from((got[i]!.value as Uint8Array) ?? []), kvs[i]!.value);
    assert.equal(String(got[i]!.lease), String(kvs[i]!.lease));
  }
});

test('a response told what to expect is the same bytes, whether the guess is short, exact or long', (t) => {
  const s = fcSeed(t);
  fc.assert(
    fc.property(fc.array(keyValue, { maxLength: 60 }), fc.nat({ max: 40_000 }), fc.integer({ min: 0, max: 60 }), (kvs, guess, at) => {
      const plain = new RangeEncoder(header);
      const told = new RangeEncoder(header);
      for (const [i, kv] of kvs.entries()) {
        // Told before the first KeyValue or after some (what is written so far moves into the room).
        if (i === Math.min(at, kvs.length - 1)) told.expect(guess);
        plain.record(encodeRecord(kv, false));
        told.record(encodeRecord(kv, false));
      }
      const summary = { revision: header.revision, more: false, count: kvs.length };
      assert.deepEqual(told.finish(summary), plain.finish(summary));
    }),
    { seed: s, numRuns: 300 },
  );
});

test('an expectation beyond any sane response is ignored, not allocated', () => {
  const enc = new RangeEncoder(header);
  enc.expect(2 ** 40);
  const kv = { key: Buffer.from('k'), create_revision: 2, mod_revision: 2, version: 1, value: Buffer.from('v'), lease: 0n };
  enc.record(encodeRecord(kv, false));
  const plain = new RangeEncoder(header);
  plain.record(encodeRecord(kv, false));
  const summary = { revision: header.revision, more: false, count: 1 };
  assert.deepEqual(enc.finish(summary), plain.finish(summary));
});

test('encodeRange: answers from the shared scratch buffer are copies (a later range does not change an earlier one)', () => {
  const kv = (i: number, size: number): KeyValue => ({
    key: Buffer.from(`k${i}`),
    create_revision: i,
    mod_revision: i,
    version: 1,
    value: Buffer.alloc(size, i),
    lease: 0n,
  });
  const encode = (n: number, size: number): Buffer => {
    const plain = new RangeEncoder(header);
    for (let i = 1; i <= n; i++) plain.kv(kv(i, size));
    const want = plain.finish({ revision: header.revision, more: false, count: n });
    const got = encodeRange(header, (sink) => {
      for (let i = 1; i <= n; i++) sink.kv(kv(i, size));
      return { revision: header.revision, more: false, count: n };
    })!;
    assert.deepEqual(got, want);
    return got;
  };
  // Small, mid-sized, and beyond the scratch buffer (spills into chunks).
  const answers = [encode(3, 10), encode(100, 300), encode(40, 10_000)];
  const copies = answers.map((a) => Buffer.from(a));
  encode(100, 300);
  encode(5, 20_000);
  assert.deepEqual(answers, copies);
  assert.equal(
    encodeRange(header, () => undefined),
    undefined,
  );
});
