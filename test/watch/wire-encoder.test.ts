/**
 * The hand-written WatchResponse encoder against protobufjs (loaded from etcd's rpc.proto):
 * random hub responses (keys and values of any bytes, revisions up to 2^53-1, negative and
 * 64-bit leases, watch ids including -1, compaction responses, prev_kv on and off) are encoded
 * in frames and decoded by protobufjs; every field must come back as it went in.
 *
 * Replay: FC_SEED=<seed> node --test dist/test/watch/wire-encoder.test.js
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcSeed } from '../helpers/fc-seed';
import type { Event, KeyValue } from '../../src/mvcc';
import { FrameWriter, splitFrames } from '../../src/server/wire/watch-frames';
import { WatchEncoder, watchIdField } from '../../src/server/api/watch/wire-encoder';
import { encodeHeader } from '../../src/server/wire/kv-proto';
import type { HubResponse } from '../../src/server/engine/watch/types';
import { decodeResponse } from './fakes';

const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));
const revision = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const lease = fc.oneof(fc.constant(0n), fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }));
const keyValue: fc.Arbitrary<KeyValue> = fc
  .record({
    key: bytes,
    create_revision: revision,
    mod_revision: revision,
    version: revision,
    value: bytes,
    lease,
  })
  .map((kv) => ({ ...kv })); // plain objects (fast-check's records have no prototype)
const event: fc.Arbitrary<Event> = fc
  .record({ type: fc.constantFrom<'PUT' | 'DELETE'>('PUT', 'DELETE'), kv: keyValue, prev_kv: fc.option(keyValue, { nil: undefined }) })
  .map((e) => (e.prev_kv === undefined ? { type: e.type, kv: e.kv } : e));
const hubResponse: fc.Arbitrary<HubResponse> = fc.record({
  watchId: fc.oneof(fc.constant(-1n), fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 63n) - 1n })),
  events: fc.array(event, { maxLength: 4 }),
  revision,
  compactRevision: fc.oneof(fc.constant(0), revision),
});
const ids = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map(String);

function expectedPrev(e: Event, withPrev: boolean): KeyValue | undefined {
  if (!withPrev) return undefined;
  if (e.type === 'PUT' && e.kv.create_revision === e.kv.mod_revision) return undefined; // a create
  return e.prev_kv;
}

test('hub responses decode with protobufjs to exactly what was encoded', (t) => {
  const s = fcSeed(t);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(hubResponse, fc.boolean()), { minLength: 1, maxLength: 5 }),
      ids,
      ids,
      revision,
      (rs, cluster, member, term) => {
        const enc = new WatchEncoder(() => undefined);
        const w = new FrameWriter();
        for (const [r, prev] of rs) {
          const header = encodeHeader({ cluster_id: cluster, member_id: member, revision: r.revision, raft_term: term });
          enc.writeHub(w, r, header, watchIdField(r.watchId), prev);
        }
        const bodies = splitFrames(w.take());
        assert.equal(bodies.length, rs.length);
        bodies.forEach((body, i) => {
          const [r, prev] = rs[i]!;
          const got = decodeResponse(body);
          assert.deepEqual(got.header, { cluster_id: cluster, member_id: member, revision: r.revision, raft_term: term });
          assert.equal(got.watch_id, r.watchId.toString());
          assert.equal(got.compact_revision, r.compactRevision === 0 ? undefined : r.compactRevision);
          assert.equal(got.canceled, r.compactRevision === 0 ? undefined : true);
          assert.equal(got.created, undefined);
          assert.deepEqual(
            got.events,
            r.events.map((e) => {
              const p = expectedPrev(e, prev);
              return p === undefined ? { type: e.type, kv: e.kv } : { type: e.type, kv: e.kv, prev_kv: p };
            }),
          );
        });
      },
    ),
    { seed: s, numRuns: 300 },
  );
});

test('an event is encoded once for every watcher; prev_kv for replayed events is read from the store', () => {
  let reads = 0;
  const old: KeyValue = { key: Buffer.from('k'), create_revision: 2, mod_revision: 2, version: 1, value: Buffer.from('old'), lease: 0n };
  const enc = new WatchEncoder((key, rev) => {
    reads++;
    return key.equals(old.key) && rev === 2 ? old : undefined;
  });
  const e: Event = { type: 'PUT', kv: { ...old, mod_revision: 3, version: 2, value: Buffer.from('new') } };
  assert.equal(enc.event(e, true), enc.event(e, true));
  assert.equal(reads, 1);
  const w = new FrameWriter();
  for (let id = 0n; id < 3n; id++)
    enc.writeHub(
      w,
      { watchId: id, events: [e], revision: 3, compactRevision: 0 },
      encodeHeader({ cluster_id: '1', member_id: '2', revision: 3, raft_term: 1 }),
      watchIdField(id),
      true,
    );
  const got = splitFrames(w.take()).map(decodeResponse);
  assert.deepEqual(
    got.map((r) => [r.watch_id, r.events[0]!.prev_kv?.value.toString()]),
    [
      ['0', 'old'],
      ['1', 'old'],
      ['2', 'old'],
    ],
  );
  assert.equal(reads, 1);
});

test('frames: a writer grows past its first buffer and splits back exactly; truncated frames are refused', () => {
  const w = new FrameWriter();
  const bodies = Array.from({ length: 50 }, (_, i) => Buffer.alloc(i * 37, i));
  for (const b of bodies) w.message(b);
  const all = w.take();
  assert.deepEqual(splitFrames(all), bodies);
  assert.equal(w.length, 0);
  assert.throws(() => splitFrames(all.subarray(0, all.length - 1)), /truncated/);
  assert.throws(() => splitFrames(Buffer.from([0, 0, 0])), /truncated/);
});
