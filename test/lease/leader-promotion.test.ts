/**
 * When the lessor becomes primary, as etcd: on the leader, when the empty entry of its own term
 * is applied, extending only the leases that exist then by the election timeout. A lease granted
 * after that expires after exactly its TTL. (etcd-ts used to promote on a 500 ms timer and extend
 * every lease, so a 2 s lease granted right after an election lived ~3 s.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roleOf } from '../../src/server/engine/lease/role';
import { encodeGrant } from '../../src/server/wire/lease-codec';
import { RequestKind } from '../../src/server/wire/request-codec';
import { EtcdClient } from '../server/grpc-client';
import { startMember } from '../helpers/member';
import { FakeHost } from './fake-host';

test("promotion at the term's first entry extends existing leases only; later grants get their TTL", async () => {
  const host = new FakeHost();
  host.raft.isLeader = false; // a follower, not primary
  assert.equal(host.lessor.isPrimary, false);
  await host.propose(RequestKind.LeaseGrant, encodeGrant({ id: 1n, ttl: 10 }));
  // Elected: leading, but the term's first entry is not applied yet: not primary.
  const role = roleOf(host);
  host.raft.term = 3;
  Object.defineProperty(host.raft, 'isLeader', { value: true, writable: true });
  assert.equal(role.sync(), false, "not primary before the term's first entry is applied");
  role.termStarted(2);
  assert.equal(host.lessor.isPrimary, false, "an older term's entry does not promote");
  const t0 = host.clock.now();
  role.termStarted(3);
  assert.equal(host.lessor.isPrimary, true);
  assert.equal(role.sync(), true);
  assert.equal(host.lessor.timeToLive(1n, false)!.ttl, 11, 'existing lease: TTL + election timeout');
  await host.propose(RequestKind.LeaseGrant, encodeGrant({ id: 2n, ttl: 10 }));
  assert.equal(host.lessor.timeToLive(2n, false)!.ttl, 10, 'a lease granted after promotion: its TTL exactly');
  host.clock.advance(10_000);
  assert.deepEqual(host.lessor.expired(10), [2n]);
  assert.equal(host.clock.now() - t0, 10_000);
  // A repeated term start does not extend again.
  role.termStarted(3);
  host.clock.advance(999);
  assert.deepEqual(host.lessor.expired(10), [], 'lease 1 expires at TTL + 1 s, not later or earlier');
  host.clock.advance(1);
  assert.deepEqual(host.lessor.expired(10), [1n]);
  // Leadership lost: demoted at once.
  Object.defineProperty(host.raft, 'isLeader', { value: false, writable: true });
  assert.equal(role.sync(), false);
  assert.equal(host.lessor.isPrimary, false);
});

test('a leader waits for its promotion before serving renewals; a follower does not wait', async () => {
  const host = new FakeHost();
  host.raft.isLeader = false;
  const role = roleOf(host);
  assert.equal(await role.primary(5_000), false, 'follower: at once');
  host.raft.term = 4;
  Object.defineProperty(host.raft, 'isLeader', { value: true, writable: true });
  const p = role.primary(60_000);
  role.termStarted(4);
  assert.equal(await p, true);
});

test('a 2 s lease granted right after a fresh member is ready expires 2 s after the grant', async () => {
  const m = await startMember();
  const c = new EtcdClient(m.endpoint);
  try {
    const lessor = m.server.etcdMember.lessor;
    const g = await c.call('etcdserverpb.Lease', 'LeaseGrant', { TTL: 2, ID: 0 });
    const id = BigInt(g.ID as string);
    // The member's own view right after the grant: primary, and the lease expires within its
    // TTL from now (remaining < 2 s, so 1 whole second), not TTL + the election timeout (1 s by
    // default: 2 whole seconds) as before.
    assert.equal(lessor.isPrimary, true);
    assert.equal(lessor.timeToLive(id, false)!.ttl, 1);
    const t = await c.call('etcdserverpb.Lease', 'LeaseTimeToLive', { ID: g.ID });
    assert.equal(Number(t.TTL), 1);
  } finally {
    c.close();
    await m.stop();
  }
});
