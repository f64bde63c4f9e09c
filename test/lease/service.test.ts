// The Lease gRPC service over a FakeHost, through a real grpc-js server and client on loopback.
// Time is the host's fake clock; nothing sleeps.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { serviceDefinition } from '../../src/server/wire/protos';
import { leaseService } from '../../src/server/api/lease/lease-service';
import { LeaseExpiryDriver } from '../../src/server/engine/lease/expiry-driver';
import { RequestKind } from '../../src/server/wire/request-codec';
import { EtcdClient, type Msg } from '../server/grpc-client';
import { FakeHost } from './fake-host';

const log = pino({ level: 'silent' });
const SVC = 'etcdserverpb.Lease';

let host: FakeHost;
let server: grpc.Server;
let client: EtcdClient;
let raw: grpc.Client;
let nextId = 1000n;

before(async () => {
  server = new grpc.Server();
  // The service reads the current host through a proxy so each test can start from a fresh one.
  const proxy = new Proxy({} as FakeHost, {
    get: (_t, p) => {
      const v = (host as unknown as Record<string | symbol, unknown>)[p];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(host) : v;
    },
  });
  server.addService(serviceDefinition(SVC), leaseService(proxy, log, { ids: { next: () => nextId++ } }));
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  client = new EtcdClient(`127.0.0.1:${port}`);
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(SVC), SVC);
  raw = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
  client.close();
  raw.close();
  server.forceShutdown();
});

beforeEach(() => {
  host = new FakeHost({ checkpointIntervalMs: 5000 });
});

const call = (name: string, req: Msg): Promise<Msg> => client.call(SVC, name, req);

/** Opens a keepalive stream; `send(id)` resolves with the next response. */
function keepAliveStream(): { send(id: string): Promise<Msg>; end(): Promise<void>; status: Promise<grpc.StatusObject> } {
  const s = (raw as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<Msg, Msg> }).LeaseKeepAlive();
  const waiting: ((m: Msg) => void)[] = [];
  s.on('data', (m: Msg) => waiting.shift()?.(m));
  s.on('error', () => undefined);
  const status = new Promise<grpc.StatusObject>((res) => s.on('status', res));
  return {
    send(id) {
      return new Promise((res) => {
        waiting.push(res);
        s.write({ ID: id });
      });
    },
    async end() {
      s.end();
      await status;
    },
    status,
  };
}

describe('LeaseGrant / LeaseRevoke', () => {
  test('grant with a generated id, minimum TTL applied; header revision is the store revision', async () => {
    host.put('x', 'y');
    const r = await call('LeaseGrant', { TTL: 1 });
    assert.equal(r.ID, '1000');
    assert.equal(r.TTL, '2');
    assert.equal(r.header.revision, '2');
    assert.equal(r.header.member_id, host.memberId.toString());
    assert.ok(host.lessor.has(1000n));
    assert.equal(host.proposals[0]!.kind, RequestKind.LeaseGrant);
  });

  test('client-chosen 64-bit id; existing id and too large TTL fail with etcd errors', async () => {
    const id = '9223372036854775807';
    assert.equal((await call('LeaseGrant', { ID: id, TTL: 60 })).ID, id);
    await assert.rejects(
      call('LeaseGrant', { ID: id, TTL: 60 }),
      (e: grpc.ServiceError) => e.code === grpc.status.FAILED_PRECONDITION && e.details === 'etcdserver: lease already exists',
    );
    await assert.rejects(
      call('LeaseGrant', { ID: '5', TTL: '9000000001' }),
      (e: grpc.ServiceError) => e.code === grpc.status.OUT_OF_RANGE && e.details === 'etcdserver: too large lease TTL',
    );
  });

  test('revoke deletes the keys in one revision; unknown lease is NotFound', async () => {
    await call('LeaseGrant', { ID: '7', TTL: 60 });
    host.put('a', '1', 7n);
    host.put('b', '1', 7n);
    const rev = host.mvcc.currentRevision;
    const r = await call('LeaseRevoke', { ID: '7' });
    assert.equal(r.header.revision, String(rev + 1));
    assert.equal(host.mvcc.keyCount, 0);
    await assert.rejects(
      call('LeaseRevoke', { ID: '7' }),
      (e: grpc.ServiceError) => e.code === grpc.status.NOT_FOUND && e.details === 'etcdserver: requested lease not found',
    );
  });
});

describe('LeaseTimeToLive / LeaseLeases', () => {
  test('remaining TTL, granted TTL, keys; unknown lease is TTL -1 without error', async () => {
    await call('LeaseTimeToLive', { ID: '7' }); // the first leader-only call promotes the lessor
    await call('LeaseGrant', { ID: '7', TTL: 30 });
    host.put('k2', 'v', 7n);
    host.put('k1', 'v', 7n);
    host.clock.advance(10_500);
    const t = await call('LeaseTimeToLive', { ID: '7', keys: true });
    assert.equal(t.TTL, '19'); // 19.5 s left, truncated
    assert.equal(t.grantedTTL, '30');
    assert.deepEqual(
      t.keys.map((k: Buffer) => k.toString()),
      ['k1', 'k2'],
    );
    const u = await call('LeaseTimeToLive', { ID: '8', keys: true });
    assert.equal(u.TTL, '-1');
    assert.equal(u.ID, '8');
    assert.ok(u.header.cluster_id);
  });

  test('leases lists every lease', async () => {
    await call('LeaseGrant', { ID: '3', TTL: 30 });
    await call('LeaseGrant', { ID: '4', TTL: 10 });
    const r = await call('LeaseLeases', {});
    assert.deepEqual(r.leases.map((l: Msg) => l.ID).sort(), ['3', '4']);
  });

  test('a follower without forwarding answers NoLeader (Unavailable)', async () => {
    await call('LeaseGrant', { ID: '3', TTL: 30 });
    host.raft.isLeader = false;
    await assert.rejects(call('LeaseTimeToLive', { ID: '3' }), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
  });
});

describe('LeaseKeepAlive', () => {
  test('many leases on one stream; full TTL back; TTL 0 for unknown; header before renew', async () => {
    await call('LeaseGrant', { ID: '1', TTL: 10 });
    await call('LeaseGrant', { ID: '2', TTL: 20 });
    const s = keepAliveStream();
    host.clock.advance(9000);
    const r1 = await s.send('1');
    assert.equal(r1.ID, '1');
    assert.equal(r1.TTL, '10');
    assert.ok(r1.header.raft_term);
    const r2 = await s.send('2');
    assert.equal(r2.TTL, '20');
    const r3 = await s.send('99');
    assert.equal(r3.TTL, '0');
    // renewed: not expired 9.5 s later
    host.clock.advance(9500);
    assert.deepEqual(host.lessor.expired(), []);
    await s.end();
    assert.equal((await s.status).code, grpc.status.OK);
  });

  test('an expired (not yet revoked) lease gets TTL 0', async () => {
    const s = keepAliveStream();
    await s.send('5'); // promotes the lessor
    await call('LeaseGrant', { ID: '5', TTL: 3 });
    host.clock.advance(3000);
    assert.equal((await s.send('5')).TTL, '0');
    await s.end();
  });

  test('renewing a checkpointed lease clears the checkpoint through the log first', async () => {
    await call('LeaseGrant', { ID: '6', TTL: 60 });
    host.lessor.checkpoint(6n, 12);
    const s = keepAliveStream();
    const before = host.proposals.length;
    assert.equal((await s.send('6')).TTL, '60');
    assert.equal(host.proposals.length, before + 1);
    assert.equal(host.proposals[before]!.kind, RequestKind.LeaseCheckpoint);
    assert.ok(!host.lessor.needsCheckpointReset(6n));
    await s.end();
  });

  test('a follower without forwarding ends the stream with NoLeader', async () => {
    host.raft.isLeader = false;
    const s = keepAliveStream();
    s.send('1').catch(() => undefined);
    const st = await s.status;
    assert.equal(st.code, grpc.status.UNAVAILABLE);
    assert.equal(st.details, 'etcdserver: no leader');
  });
});

describe('LeaseExpiryDriver', () => {
  test('proposes revocations of expired leases once, and due checkpoints, only while leading', async () => {
    const d = new LeaseExpiryDriver(host, log, { revokeRate: 4, intervalMs: 500 }); // 2 per tick
    await call('LeaseGrant', { ID: '1', TTL: 3 });
    await call('LeaseGrant', { ID: '2', TTL: 3 });
    await call('LeaseGrant', { ID: '3', TTL: 3 });
    await call('LeaseGrant', { ID: '4', TTL: 60 });
    host.put('k', 'v', 1n);
    d.tick(); // promote (+1 s)
    host.clock.advance(4000);
    host.raft.isLeader = false;
    d.tick();
    assert.equal(host.lessor.size, 4, 'a follower revokes nothing');
    host.raft.isLeader = true;
    d.tick(); // promote again (+1 s): 3 + 1 s from now
    host.clock.advance(4000);
    d.tick();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(host.lessor.leases().sort(), [3n, 4n]);
    assert.equal(host.mvcc.keyCount, 0);
    d.tick();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(host.lessor.leases(), [4n]);
    // lease 4 (promoted 5 s ago with 60 + 1 s): its checkpoint is due every 5 s -> 56 s left.
    host.clock.advance(1000);
    const n = host.proposals.length;
    d.tick();
    const cps = host.proposals.slice(n).filter((p) => p.kind === RequestKind.LeaseCheckpoint);
    assert.equal(cps.length, 1);
    assert.match(cps[0]!.payload.toString(), /"ID":"4","remaining_TTL":56/);
  });

  test('a failed revocation is retried after the retry interval', async () => {
    const d = new LeaseExpiryDriver(host, log);
    await call('LeaseGrant', { ID: '1', TTL: 3 });
    d.tick();
    host.clock.advance(5000);
    host.failWith = new Error('proposal dropped');
    d.tick();
    await new Promise((r) => setImmediate(r));
    assert.ok(host.lessor.has(1n));
    host.failWith = undefined;
    host.clock.advance(1000);
    d.tick();
    await new Promise((r) => setImmediate(r));
    assert.ok(host.lessor.has(1n), 'not before the retry interval');
    host.clock.advance(2000);
    d.tick();
    await new Promise((r) => setImmediate(r));
    assert.ok(!host.lessor.has(1n));
  });
});
