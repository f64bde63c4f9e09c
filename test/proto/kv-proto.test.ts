/**
 * The hand-written ResponseHeader and header-only PutResponse encodings decode with protobufjs to
 * exactly what went in, for random ids (uint64, zero included), revisions and terms, also when
 * the ids change from one call to the next (they are cached); with every field non-zero the bytes
 * are protobufjs's own (which writes zero fields that Go, and these encoders, omit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSeed } from '../helpers/fc-seed';
import { encodeHeader, encodeHeaderOnlyResponse } from '../../src/server/wire/kv-proto';
import { method } from '../../src/server/wire/protos';

const putMethod = method('etcdserverpb.KV', 'Put');
const id = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(String);
const revision = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const header = fc.record({ cluster_id: id, member_id: id, revision, raft_term: revision }).map((h) => ({ ...h }));

test('encodeHeader and encodeHeaderOnlyResponse decode to their header; non-zero fields give protobufjs bytes', (t) => {
  const s = fcSeed(t);
  fc.assert(
    fc.property(fc.array(header, { minLength: 1, maxLength: 4 }), (hs) => {
      for (const h of hs) {
        const bytes = encodeHeaderOnlyResponse(h);
        const back = putMethod.responseDeserialize(bytes) as { header?: Record<string, unknown>; prev_kv?: unknown };
        const got = back.header ?? {};
        assert.deepEqual(
          {
            cluster_id: String(got.cluster_id ?? 0),
            member_id: String(got.member_id ?? 0),
            revision: Number(got.revision ?? 0),
            raft_term: Number(got.raft_term ?? 0),
          },
          h,
        );
        assert.ok(back.prev_kv === null || back.prev_kv === undefined);
        const hb = encodeHeader(h);
        assert.deepEqual(bytes.subarray(bytes.length - hb.length), hb);
        if (h.cluster_id !== '0' && h.member_id !== '0' && h.revision !== 0 && h.raft_term !== 0) {
          assert.deepEqual(bytes, putMethod.responseSerialize({ header: h }));
        }
      }
    }),
    { seed: s, numRuns: 500 },
  );
});
