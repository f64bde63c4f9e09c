// Maintenance.Hash (etcd's hash of the whole backend, its per-member meta keys left out): equal on
// the members of a cluster once they hold the same state, changed by a write, equal again once
// every member applied it; and admin only when auth is enabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { ProcessCluster } from '../helpers/cluster';
import { converge } from '../helpers/cluster-checks';
import { runEtcdctl } from '../helpers/tools';
import { method } from '../../src/server/wire/protos';

function hash(endpoint: string, token?: string): Promise<{ hash?: number; error?: string }> {
  const m = method('etcdserverpb.Maintenance', 'Hash');
  const c = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('token', token);
  return new Promise<{ hash?: number; error?: string }>((resolve) => {
    c.makeUnaryRequest<object, Record<string, unknown>>(
      m.path,
      m.requestSerialize,
      (b: Buffer) => m.responseDeserialize(b) as Record<string, unknown>,
      {},
      md,
      { deadline: Date.now() + 5000 },
      (e, r) => resolve(e ? { error: e.details } : { hash: Number(r!.hash) }),
    );
  }).finally(() => c.close());
}

test('Maintenance.Hash: equal on members with the same state, changed by a write; admin only with auth', { timeout: 120_000 }, async () => {
  const c = await ProcessCluster.create(3);
  try {
    await c.startAll();
    await c.waitLeader();
    for (let i = 0; i < 20; i++) assert.equal((await runEtcdctl(c.endpoint(i % 3), ['put', `k${i}`, `v${i}`])).code, 0);
    await converge(c, [0, 1, 2]);
    const first = await Promise.all([0, 1, 2].map((i) => hash(c.endpoint(i))));
    assert.ok(first[0]!.hash !== undefined, JSON.stringify(first));
    assert.deepEqual(first.slice(1), [first[0], first[0]], 'the same hash on every member');
    assert.equal((await runEtcdctl(c.endpoint(0), ['put', 'k0', 'changed'])).code, 0);
    await converge(c, [0, 1, 2]);
    const second = await Promise.all([0, 1, 2].map((i) => hash(c.endpoint(i))));
    assert.notEqual(second[0]!.hash, first[0]!.hash, 'a write changes the hash');
    assert.deepEqual(second.slice(1), [second[0], second[0]]);

    for (const args of [
      ['user', 'add', 'root:pw'],
      ['user', 'grant-role', 'root', 'root'],
      ['user', 'add', 'u:pw'],
      ['auth', 'enable'],
    ])
      assert.equal((await runEtcdctl(c.endpoint(0), args)).code, 0, args.join(' '));
    assert.deepEqual(await hash(c.endpoint(0)), { error: 'etcdserver: user name is empty' });
  } finally {
    await c.destroy();
  }
});
