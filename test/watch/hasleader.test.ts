// The Watch service's leader checks (etcd interceptor.go): with `hasleader: true` metadata a
// stream is refused at once when the member has no leader, and an open one is failed with
// ErrGRPCNoLeader after NO_LEADER_CHECKS election timeouts without a leader; streams without the
// metadata are unaffected. Runs the real service over gRPC with a stand-in member whose leader
// the test switches.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { MemoryEngine, MvccStore } from '../../src/mvcc';
import { packageDefinition, serviceDefinition } from '../../src/server/wire/protos';
import { WatchHub } from '../../src/server/engine/watch/hub';
import { watchService } from '../../src/server/api/watch/watch-service';
import type { MemberApi } from '../../src/server/engine/member-api';
import { disabledAuth } from '../helpers/auth';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const engine = new MemoryEngine();
const mvcc = new MvccStore(engine);
const hub = new WatchHub({ store: mvcc, engine });
const raft = { lead: 1n, term: 2 };
const fakeMember = {
  mvcc,
  watchHub: hub,
  raft,
  config: { maxRequestBytes: 1.5 * 1024 * 1024, watchProgressNotifyMs: 0, electionMs: 30 },
  auth: disabledAuth(),
  header: (revision?: number) => ({ cluster_id: '1', member_id: '2', revision: revision ?? mvcc.currentRevision, raft_term: raft.term }),
} satisfies Partial<Record<keyof MemberApi, unknown>> as unknown as MemberApi; // no key the service does not know

let server: grpc.Server;
let client: Obj;
before(async () => {
  server = new grpc.Server();
  server.addService(serviceDefinition('etcdserverpb.Watch'), watchService(fakeMember, pino({ level: 'silent' })));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const pkg = grpc.loadPackageDefinition(packageDefinition()) as Obj;
  client = new pkg.etcdserverpb.Watch(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});
after(() => {
  client.close();
  server.forceShutdown();
  hub.close();
});

function open(hasLeader: boolean): { call: Obj; created: Promise<Obj>; failed: Promise<grpc.ServiceError> } {
  const md = new grpc.Metadata();
  if (hasLeader) md.set('hasleader', 'true');
  const call = client.Watch(md);
  const created = new Promise<Obj>((resolve) => call.on('data', (r: Obj) => r.created && resolve(r)));
  const failed = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
  call.write({ create_request: { key: Buffer.from('k') } });
  return { call, created, failed };
}

test('hasleader stream is refused at once without a leader', async () => {
  raft.lead = 0n;
  const s = open(true);
  const err = await s.failed;
  assert.equal(err.code, grpc.status.UNAVAILABLE);
  assert.equal(err.details, 'etcdserver: no leader');
  raft.lead = 1n;
});

test('open hasleader streams fail after the leader stays lost; others keep going', async () => {
  raft.lead = 1n;
  const withMd = open(true);
  const without = open(false);
  await withMd.created;
  await without.created;
  raft.lead = 0n; // 3 checks of 30 ms later, the hasleader stream fails
  const err = await withMd.failed;
  assert.equal(err.code, grpc.status.UNAVAILABLE);
  assert.equal(err.details, 'etcdserver: no leader');
  raft.lead = 1n;
  let gotError = false;
  without.call.on('error', () => (gotError = true));
  without.call.cancel();
  // The server sees the cancel when the RST_STREAM arrives.
  for (let i = 0; i < 200 && hub.watcherCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(gotError, true); // only our own cancel ended it
  assert.equal(hub.watcherCount, 0);
});
