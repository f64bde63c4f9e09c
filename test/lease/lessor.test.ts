import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import { MAX_LEASE_TTL, LessorNotPrimaryError, minLeaseTtl } from '../../src/lease';
import { b, fixture, keyNames, put } from './helpers';

const kind = (k: string) => (e: unknown) => isEtcdError(e, k as never);

describe('minLeaseTtl', () => {
  test('etcd defaults give 2 s; integer division of ticks then ceil', () => {
    assert.equal(minLeaseTtl(100, 1000), 2);
    assert.equal(minLeaseTtl(100, 500), 1); // 5 ticks -> 7 * 100 ms = 0.7 s -> 1
    assert.equal(minLeaseTtl(50, 3000), 5); // 60 ticks -> 90 * 50 ms = 4.5 s -> 5
  });
});

describe('grant', () => {
  test('grants with the requested TTL, raises below-minimum TTLs silently', () => {
    const { lessor } = fixture({ minTtl: 2 });
    assert.deepEqual(lessor.grant(1n, 10), { id: 1n, ttl: 10 });
    assert.deepEqual(lessor.grant(2n, 1), { id: 2n, ttl: 2 });
    assert.deepEqual(lessor.grant(3n, 0), { id: 3n, ttl: 2 });
    assert.deepEqual(lessor.grant(4n, -5), { id: 4n, ttl: 2 });
    assert.equal(lessor.ttlOf(2n), 2);
    assert.equal(lessor.size, 4);
  });

  test('too large TTL, existing id and id 0 fail', () => {
    const { lessor } = fixture();
    assert.deepEqual(lessor.grant(7n, MAX_LEASE_TTL), { id: 7n, ttl: MAX_LEASE_TTL });
    assert.throws(() => lessor.grant(8n, MAX_LEASE_TTL + 1), kind('LeaseTTLTooLarge'));
    assert.throws(() => lessor.grant(7n, 5), kind('LeaseExist'));
    assert.throws(() => lessor.grant(0n, 5), kind('LeaseNotFound'));
    assert.equal(lessor.size, 1);
  });

  test('64-bit ids, including negative and > 2^53, are kept exactly', () => {
    const { lessor } = fixture();
    const big = 0x7fff_ffff_ffff_fff1n;
    lessor.grant(big, 5);
    lessor.grant(-3n, 5);
    assert.ok(lessor.has(big));
    assert.ok(!lessor.has(big - 1n));
    assert.ok(lessor.has(-3n));
  });
});

describe('attachments follow MVCC events', () => {
  test('put attaches, re-put with another lease moves, lease 0 detaches, delete detaches', () => {
    const f = fixture();
    f.lessor.grant(1n, 10);
    f.lessor.grant(2n, 10);
    put(f, 'a', 'x', 1n);
    put(f, 'b', 'x', 1n);
    put(f, 'c', 'x', 2n);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), ['a', 'b']);
    put(f, 'b', 'y', 2n);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), ['a']);
    assert.deepEqual(keyNames(f.lessor.keysOf(2n)), ['b', 'c']);
    put(f, 'c', 'y', 0n);
    assert.deepEqual(keyNames(f.lessor.keysOf(2n)), ['b']);
    const d = f.mvcc.deleteRange({ key: b('a') });
    f.lessor.onEvents(d.events);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), []);
  });

  test('ignore_lease keeps the attachment; txn writes are followed too', () => {
    const f = fixture();
    f.lessor.grant(1n, 10);
    put(f, 'k', 'v', 1n);
    const r = f.mvcc.put({ key: b('k'), value: b('w'), ignore_lease: true });
    f.lessor.onEvents(r.events);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), ['k']);
    const t = f.mvcc.txn({
      success: [
        { request: 'request_put', request_put: { key: b('t1'), value: b('v'), lease: 1n } },
        { request: 'request_delete_range', request_delete_range: { key: b('k') } },
      ],
    });
    f.lessor.onEvents(t.events);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), ['t1']);
  });

  test('put with an unknown lease is rejected by the store (leaseExists hook)', () => {
    const f = fixture();
    assert.throws(() => f.mvcc.put({ key: b('k'), value: b('v'), lease: 42n }), kind('LeaseNotFound'));
  });

  test('onEvents is idempotent and ignores unknown leases', () => {
    const f = fixture();
    f.lessor.grant(1n, 10);
    const r = f.mvcc.put({ key: b('k'), value: b('v'), lease: 1n });
    f.lessor.onEvents(r.events);
    f.lessor.onEvents(r.events);
    assert.deepEqual(keyNames(f.lessor.keysOf(1n)), ['k']);
  });
});

describe('revoke', () => {
  test('returns the attached keys sorted; they are deleted in one revision', () => {
    const f = fixture();
    f.lessor.grant(1n, 10);
    put(f, 'z', '1', 1n);
    put(f, 'a', '1', 1n);
    put(f, 'other', '1');
    const before = f.mvcc.currentRevision;
    const keys = f.lessor.revoke(1n);
    assert.deepEqual(keyNames(keys), ['a', 'z']);
    const d = f.mvcc.deleteKeys(keys);
    f.lessor.onEvents(d.events);
    assert.equal(f.mvcc.currentRevision, before + 1);
    assert.equal(d.events.length, 2);
    assert.ok(!f.lessor.has(1n));
    assert.equal(f.mvcc.range({ key: b('a'), range_end: b('zz') }).count, 1);
    assert.throws(() => f.lessor.revoke(1n), kind('LeaseNotFound'));
    assert.throws(() => f.lessor.keysOf(1n), kind('LeaseNotFound'));
  });
});

describe('expiry only on the primary', () => {
  test('a follower never reports expiry; after promote, leases expire TTL + extend later', () => {
    const f = fixture();
    f.lessor.grant(1n, 5);
    f.clock.advance(60_000);
    assert.deepEqual(f.lessor.expired(), []);
    f.lessor.promote(1000);
    f.clock.advance(5999);
    assert.deepEqual(f.lessor.expired(), []);
    f.clock.advance(1);
    assert.deepEqual(f.lessor.expired(), [1n]);
  });

  test('grant on the primary expires after TTL; expired() reports once per retry interval', () => {
    const f = fixture({ expiredRetryMs: 3000 });
    f.lessor.promote(0);
    f.lessor.grant(1n, 3);
    f.lessor.grant(2n, 10);
    f.clock.advance(3000);
    assert.deepEqual(f.lessor.expired(), [1n]);
    assert.deepEqual(f.lessor.expired(), []);
    f.clock.advance(2999);
    assert.deepEqual(f.lessor.expired(), []);
    f.clock.advance(1);
    assert.deepEqual(f.lessor.expired(), [1n]);
    f.lessor.revoke(1n);
    f.clock.advance(5000);
    assert.deepEqual(f.lessor.expired(), [2n]);
  });

  test('expired() honours its limit, soonest first', () => {
    const f = fixture();
    f.lessor.promote(0);
    for (let i = 1n; i <= 5n; i++) f.lessor.grant(i, Number(10n - i));
    f.clock.advance(20_000);
    assert.deepEqual(f.lessor.expired(2), [5n, 4n]);
    assert.deepEqual(f.lessor.expired(10), [3n, 2n, 1n]);
  });

  test('demote stops expiry; promote again gives a fresh TTL plus extend', () => {
    const f = fixture();
    f.lessor.promote(0);
    f.lessor.grant(1n, 10);
    f.clock.advance(9000);
    f.lessor.demote();
    assert.ok(!f.lessor.isPrimary);
    f.clock.advance(100_000);
    assert.deepEqual(f.lessor.expired(), []);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 10);
    f.lessor.promote(2000);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 12);
    f.clock.advance(11_999);
    assert.deepEqual(f.lessor.expired(), []);
    f.clock.advance(1);
    assert.deepEqual(f.lessor.expired(), [1n]);
  });

  test('promote spreads bunched expiries beyond 3/4 of the revoke rate per second', () => {
    const f = fixture({ revokeRate: 8 });
    for (let i = 1n; i <= 12n; i++) f.lessor.grant(i, 10);
    f.lessor.promote(0);
    // target 6 per second: 6 at 10 s, the rest pushed later.
    f.clock.advance(10_000);
    assert.equal(f.lessor.expired(100).length, 6);
    f.clock.advance(2000);
    assert.equal(f.lessor.expired(100).length, 6);
  });
});

describe('renew', () => {
  test('only the primary renews; renew resets to the full TTL and returns it', () => {
    const f = fixture();
    f.lessor.grant(1n, 10);
    assert.throws(() => f.lessor.renew(1n), LessorNotPrimaryError);
    f.lessor.promote(0);
    f.clock.advance(8000);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 2);
    assert.equal(f.lessor.renew(1n), 10);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 10);
    f.clock.advance(9999);
    assert.deepEqual(f.lessor.expired(), []);
    f.clock.advance(1);
    assert.deepEqual(f.lessor.expired(), [1n]);
  });

  test('unknown or already expired leases are not found', () => {
    const f = fixture();
    f.lessor.promote(0);
    assert.throws(() => f.lessor.renew(9n), kind('LeaseNotFound'));
    f.lessor.grant(1n, 3);
    f.clock.advance(3000);
    assert.throws(() => f.lessor.renew(1n), kind('LeaseNotFound'));
  });
});

describe('timeToLive and leases', () => {
  test('remaining seconds truncated, granted TTL, keys on request, undefined when unknown', () => {
    const f = fixture();
    f.lessor.promote(0);
    f.lessor.grant(1n, 10);
    put(f, 'b', 'v', 1n);
    put(f, 'a', 'v', 1n);
    f.clock.advance(2500);
    const t = f.lessor.timeToLive(1n, true)!;
    assert.equal(t.ttl, 7);
    assert.equal(t.grantedTtl, 10);
    assert.deepEqual(keyNames(t.keys), ['a', 'b']);
    assert.deepEqual(f.lessor.timeToLive(1n, false)!.keys, []);
    assert.equal(f.lessor.timeToLive(2n, true), undefined);
  });

  test('leases() lists soonest expiry first', () => {
    const f = fixture();
    f.lessor.promote(0);
    f.lessor.grant(1n, 30);
    f.lessor.grant(2n, 10);
    f.lessor.grant(3n, 20);
    assert.deepEqual(f.lessor.leases(), [2n, 3n, 1n]);
    f.lessor.demote();
    assert.deepEqual(f.lessor.leases(), [1n, 2n, 3n]);
  });
});

describe('checkpoints', () => {
  test('due checkpoints carry the remaining TTL, rounded up; none on a follower', () => {
    const f = fixture({ checkpointIntervalMs: 5000 });
    f.lessor.grant(1n, 20);
    f.clock.advance(10_000);
    assert.deepEqual(f.lessor.checkpointsDue(), []);
    f.lessor.promote(0);
    f.lessor.grant(2n, 3); // TTL not above the interval: never checkpointed
    f.clock.advance(4999);
    assert.deepEqual(f.lessor.checkpointsDue(), []);
    f.clock.advance(1);
    assert.deepEqual(f.lessor.checkpointsDue(), [{ id: 1n, remainingTtl: 15 }]);
    assert.deepEqual(f.lessor.checkpointsDue(), []);
    // Applying it schedules the next one.
    f.lessor.checkpoint(1n, 15);
    f.clock.advance(5000);
    assert.deepEqual(f.lessor.checkpointsDue(), [{ id: 1n, remainingTtl: 10 }]);
  });

  test('a new leader resumes from the checkpointed remaining TTL, not the full TTL', () => {
    const f = fixture({ checkpointIntervalMs: 5000 });
    f.lessor.grant(1n, 60);
    f.lessor.checkpoint(1n, 12); // applied from the log on every member
    f.lessor.promote(1000);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 13);
    f.clock.advance(13_000);
    assert.deepEqual(f.lessor.expired(), [1n]);
  });

  test('renew after a checkpoint needs the checkpoint cleared through the log first', () => {
    const f = fixture({ checkpointIntervalMs: 5000 });
    f.lessor.grant(1n, 60);
    f.lessor.checkpoint(1n, 12);
    f.lessor.promote(0);
    assert.ok(f.lessor.needsCheckpointReset(1n));
    f.lessor.checkpoint(1n, 0);
    assert.ok(!f.lessor.needsCheckpointReset(1n));
    assert.equal(f.lessor.renew(1n), 60);
    f.lessor.demote();
    f.lessor.promote(0);
    assert.equal(f.lessor.timeToLive(1n, false)!.ttl, 60);
  });

  test('checkpointing can be turned off; checkpoints of unknown leases are ignored', () => {
    const f = fixture({ checkpointIntervalMs: 5000, checkpointing: false });
    f.lessor.promote(0);
    f.lessor.grant(1n, 60);
    f.clock.advance(10_000);
    assert.deepEqual(f.lessor.checkpointsDue(), []);
    f.lessor.checkpoint(99n, 5);
    assert.ok(!f.lessor.has(99n));
  });
});

describe('persistence', () => {
  test('leases and checkpoints survive a restart over the same engine; attachments are rebuilt', () => {
    const f = fixture({ minTtl: 2 });
    const big = -0x7fff_ffff_ffff_ff00n;
    f.lessor.grant(1n, 30);
    f.lessor.grant(big, 7);
    f.lessor.grant(3n, 9);
    f.lessor.checkpoint(1n, 11);
    put(f, 'k1', 'v', 1n);
    put(f, 'k2', 'v', big);
    put(f, 'k3', 'v', 3n);
    const keys = f.lessor.revoke(3n);
    f.mvcc.deleteKeys(keys);

    const g = fixture({ minTtl: 2 }, f.engine);
    assert.deepEqual(g.lessor.leases(), [big, 1n]);
    assert.equal(g.lessor.ttlOf(1n), 30);
    assert.equal(g.lessor.ttlOf(big), 7);
    g.lessor.restoreAttachments((fn) => g.mvcc.forEachLiveLease(fn));
    assert.deepEqual(keyNames(g.lessor.keysOf(1n)), ['k1']);
    assert.deepEqual(keyNames(g.lessor.keysOf(big)), ['k2']);
    g.lessor.promote(0);
    assert.equal(g.lessor.timeToLive(1n, false)!.ttl, 11);
    assert.equal(g.lessor.timeToLive(big, false)!.ttl, 7);
    // The MVCC store over the same engine is unaffected by the lease records.
    assert.equal(g.mvcc.currentRevision, f.mvcc.currentRevision);
    assert.equal(g.mvcc.hashKV(0).hash, f.mvcc.hashKV(0).hash);
  });

  test('a raised minimum TTL applies to restored leases; reload() re-reads the engine', () => {
    const f = fixture({ minTtl: 2 });
    f.lessor.grant(1n, 3);
    const g = fixture({ minTtl: 5 }, f.engine);
    assert.equal(g.lessor.ttlOf(1n), 5);
    f.lessor.grant(2n, 3);
    g.lessor.reload();
    assert.deepEqual(g.lessor.leases(), [1n, 2n]);
  });
});
