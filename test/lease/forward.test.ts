// A follower's Lease service forwards keepalives and TimeToLive to the leader's Lease service
// (two FakeHosts behind two real grpc-js servers on loopback).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { serviceDefinition } from '../../src/server/wire/protos';
import { LeaderForwarder } from '../../src/server/api/lease/forward';
import { leaseService } from '../../src/server/api/lease/lease-service';
import { EtcdClient, type Msg } from '../server/grpc-client';
import { FakeHost } from './fake-host';

const log = pino({ level: 'silent' });
const SVC = 'etcdserverpb.Lease';
const leader = new FakeHost();
const follower = new FakeHost();
follower.raft.isLeader = false;
let leaderUrls: string[] = [];
const forwarder = new LeaderForwarder(() => leaderUrls, 2000);
const servers: grpc.Server[] = [];
let toLeader: EtcdClient;
let toFollower: EtcdClient;
let followerRaw: grpc.Client;

async function serve(host: FakeHost, forward?: LeaderForwarder): Promise<number> {
  const s = new grpc.Server();
  s.addService(serviceDefinition(SVC), leaseService(host, log, forward ? { forward } : {}));
  servers.push(s);
  return new Promise((res, rej) => s.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
}

before(async () => {
  const lp = await serve(leader);
  const fp = await serve(follower, forwarder);
  leaderUrls = [`http://127.0.0.1:${lp}`];
  toLeader = new EtcdClient(`127.0.0.1:${lp}`);
  toFollower = new EtcdClient(`127.0.0.1:${fp}`);
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(SVC), SVC);
  followerRaw = new Ctor(`127.0.0.1:${fp}`, grpc.credentials.createInsecure());
});

after(() => {
  forwarder.close();
  toLeader.close();
  toFollower.close();
  followerRaw.close();
  for (const s of servers) s.forceShutdown();
});

function keepAliveOnce(id: string): Promise<{ res?: Msg; status: grpc.StatusObject }> {
  const s = (followerRaw as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<Msg, Msg> }).LeaseKeepAlive();
  let res: Msg | undefined;
  s.on('data', (m: Msg) => {
    res = m;
    s.end();
  });
  s.on('error', () => undefined);
  s.write({ ID: id });
  return new Promise((resolve) => s.on('status', (status) => resolve({ res, status })));
}

test('keepalive and TimeToLive on a follower are answered by the leader', async () => {
  await toLeader.call(SVC, 'LeaseTimeToLive', { ID: '1' }); // promote the leader's lessor
  await toLeader.call(SVC, 'LeaseGrant', { ID: '42', TTL: 30 });
  leader.put('k', 'v', 42n);
  leader.clock.advance(20_000);
  const r = await keepAliveOnce('42');
  assert.equal(r.res?.TTL, '30');
  assert.equal(r.res?.ID, '42');
  assert.equal(r.res?.header.member_id, follower.memberId.toString());
  const t = await toFollower.call(SVC, 'LeaseTimeToLive', { ID: '42', keys: true });
  assert.equal(t.TTL, '30');
  assert.equal(t.grantedTTL, '30');
  assert.deepEqual(
    t.keys.map((k: Buffer) => k.toString()),
    ['k'],
  );
  assert.equal((await keepAliveOnce('43')).res?.TTL, '0');
  assert.equal((await toFollower.call(SVC, 'LeaseTimeToLive', { ID: '43' })).TTL, '-1');
});

test('no reachable leader: NoLeader (Unavailable)', async () => {
  const saved = leaderUrls;
  leaderUrls = [];
  try {
    await assert.rejects(
      toFollower.call(SVC, 'LeaseTimeToLive', { ID: '42' }),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE && e.details === 'etcdserver: no leader',
    );
    const r = await keepAliveOnce('42');
    assert.equal(r.status.code, grpc.status.UNAVAILABLE);
  } finally {
    leaderUrls = saved;
  }
});
