import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import { applyLeaseCheckpoint, applyLeaseGrant, applyLeaseRevoke } from '../../src/server/engine/lease/apply';
import {
  decodeCheckpoint,
  decodeGrant,
  decodeRevoke,
  encodeCheckpoint,
  encodeGrant,
  encodeRevoke,
} from '../../src/server/wire/lease-codec';
import { b, fixture, keyNames, put } from './helpers';

const kind = (k: string) => (e: unknown) => isEtcdError(e, k as never);

describe('lease entry payloads', () => {
  test('grant, revoke and checkpoint round-trip with 64-bit ids', () => {
    const id = -0x7123_4567_89ab_cdefn;
    assert.deepEqual(decodeGrant(encodeGrant({ id, ttl: 9_000_000_001 })), { id, ttl: 9_000_000_001 });
    assert.deepEqual(decodeRevoke(encodeRevoke({ id: 0x7fff_ffff_ffff_ffffn })), { id: 0x7fff_ffff_ffff_ffffn });
    const cps = {
      checkpoints: [
        { id, remainingTtl: 12 },
        { id: 5n, remainingTtl: 0 },
      ],
    };
    assert.deepEqual(decodeCheckpoint(encodeCheckpoint(cps)), cps);
  });

  test('the grant payload is the etcd LeaseGrantRequest protobuf', () => {
    // TTL=5 (field 1), ID=7 (field 2)
    assert.deepEqual([...encodeGrant({ id: 7n, ttl: 5 })], [0x08, 5, 0x10, 7]);
  });
});

describe('apply functions', () => {
  test('grant returns the effective TTL and the current revision; errors change nothing', () => {
    const f = fixture({ minTtl: 2 });
    const s = { lessor: f.lessor, mvcc: f.mvcc };
    const r = applyLeaseGrant(s, encodeGrant({ id: 10n, ttl: 1 }));
    assert.deepEqual(r, { response: { id: 10n, ttl: 2, revision: 1 }, events: [] });
    assert.throws(() => applyLeaseGrant(s, encodeGrant({ id: 10n, ttl: 5 })), kind('LeaseExist'));
    assert.throws(() => applyLeaseGrant(s, encodeGrant({ id: 11n, ttl: 9_000_000_001 })), kind('LeaseTTLTooLarge'));
    assert.equal(f.lessor.size, 1);
    assert.equal(f.mvcc.currentRevision, 1);
  });

  test('revoke deletes all attached keys in one revision, with one DELETE event each', () => {
    const f = fixture();
    const s = { lessor: f.lessor, mvcc: f.mvcc };
    applyLeaseGrant(s, encodeGrant({ id: 1n, ttl: 10 }));
    put(f, 'b', 'v', 1n);
    put(f, 'a', 'v', 1n);
    put(f, 'c', 'v');
    const rev = f.mvcc.currentRevision;
    const r = applyLeaseRevoke(s, encodeRevoke({ id: 1n }));
    assert.equal(r.response.revision, rev + 1);
    assert.deepEqual(
      r.events.map((e) => [e.type, e.kv.key.toString(), e.kv.mod_revision, e.prev_lease]),
      [
        ['DELETE', 'a', rev + 1, 1n],
        ['DELETE', 'b', rev + 1, 1n],
      ],
    );
    f.lessor.onEvents(r.events); // harmless
    assert.deepEqual(keyNames(f.mvcc.range({ key: b('a'), range_end: b('z') }).kvs.map((kv) => kv.key)), ['c']);
    assert.throws(() => applyLeaseRevoke(s, encodeRevoke({ id: 1n })), kind('LeaseNotFound'));
  });

  test('revoke of a lease without keys bumps no revision', () => {
    const f = fixture();
    const s = { lessor: f.lessor, mvcc: f.mvcc };
    applyLeaseGrant(s, encodeGrant({ id: 1n, ttl: 10 }));
    const r = applyLeaseRevoke(s, encodeRevoke({ id: 1n }));
    assert.deepEqual(r, { response: { revision: 1 }, events: [] });
  });

  test('checkpoint sets remaining TTLs, skipping unknown leases', () => {
    const f = fixture();
    const s = { lessor: f.lessor, mvcc: f.mvcc };
    applyLeaseGrant(s, encodeGrant({ id: 1n, ttl: 100 }));
    applyLeaseCheckpoint(
      s,
      encodeCheckpoint({
        checkpoints: [
          { id: 1n, remainingTtl: 40 },
          { id: 2n, remainingTtl: 3 },
        ],
      }),
    );
    f.lessor.promote(0);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 40);
  });
});
