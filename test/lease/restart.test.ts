// Leases survive a restart of an etcd-ts member with its data dir: ids, TTLs and attachments come
// back from the store's engine, and the restarted leader gives them a fresh TTL (+ election
// timeout), as etcd does without a checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../server/grpc-client';
import { startMember } from '../helpers/member';

test('leases and their keys survive a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'etcd-ts-lease-'));
  try {
    let m = await startMember({ dataDir });
    let c = new EtcdClient(m.endpoint);
    const g = await c.call('etcdserverpb.Lease', 'LeaseGrant', { ID: '81985529216486895', TTL: 300 });
    assert.equal(g.ID, '81985529216486895');
    await c.call('etcdserverpb.KV', 'Put', { key: Buffer.from('k1'), value: Buffer.from('v'), lease: g.ID });
    await c.call('etcdserverpb.KV', 'Put', { key: Buffer.from('k2'), value: Buffer.from('v'), lease: g.ID });
    await c.call('etcdserverpb.Lease', 'LeaseGrant', { ID: '5', TTL: 60 });
    await c.call('etcdserverpb.Lease', 'LeaseRevoke', { ID: '5' });
    c.close();
    await m.stop();

    m = await startMember({ dataDir });
    c = new EtcdClient(m.endpoint);
    try {
      const leases = await c.call('etcdserverpb.Lease', 'LeaseLeases', {});
      assert.deepEqual(
        leases.leases.map((l: { ID: string }) => l.ID),
        ['81985529216486895'],
      );
      const t = await c.call('etcdserverpb.Lease', 'LeaseTimeToLive', { ID: g.ID, keys: true });
      assert.equal(t.grantedTTL, '300');
      assert.ok(Number(t.TTL) >= 299 && Number(t.TTL) <= 301, `ttl ${t.TTL}`);
      assert.deepEqual(
        t.keys.map((k: Buffer) => k.toString()),
        ['k1', 'k2'],
      );
      const r = await c.call('etcdserverpb.Lease', 'LeaseRevoke', { ID: g.ID });
      const get = await c.call('etcdserverpb.KV', 'Range', { key: Buffer.from('k'), range_end: Buffer.from('l') });
      assert.equal(get.count, '0');
      assert.equal(get.header.revision, r.header.revision);
    } finally {
      c.close();
      await m.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
