/**
 * --value-cache-bytes (etcd-ts's own flag): the record cache in front of LevelDB. With the
 * default, reads of recently written or read values are served from memory; with 0 every value
 * read once its batch is durable comes from LevelDB, and the answers are the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcessMember } from '../helpers/process-member';
import { scrapeMetrics } from '../helpers/prom-text';
import { EtcdClient, type Msg } from '../server/grpc-client';

const KV = 'etcdserverpb.KV';

function metric(m: Awaited<ReturnType<typeof scrapeMetrics>>, name: string): number {
  const f = m.get(name);
  assert.ok(f !== undefined, `metric ${name}`);
  return [...f.series.values()][0]!;
}

async function readsWith(extraArgs: string[]): Promise<{ bytes: number; hits: number; misses: number; values: string[] }> {
  const m = await startProcessMember({ extraArgs });
  const c = new EtcdClient(m.endpoint);
  try {
    for (let i = 0; i < 200; i++)
      await c.call(KV, 'Put', { key: Buffer.from(`k${String(i).padStart(3, '0')}`), value: Buffer.from(`v${i}`) });
    // A write of its own makes sure the batch holding the puts above has landed.
    await c.call(KV, 'Put', { key: Buffer.from('zz'), value: Buffer.from('last') });
    let values: string[] = [];
    for (let round = 0; round < 3; round++) {
      const r = await c.call(KV, 'Range', { key: Buffer.from('k'), range_end: Buffer.from('l') });
      values = (r.kvs as Msg[]).map((kv) => (kv.value as Buffer).toString());
    }
    const metrics = await scrapeMetrics(m.clientUrl);
    return {
      bytes: metric(metrics, 'etcdts_value_cache_bytes'),
      hits: metric(metrics, 'etcdts_value_cache_hits_total'),
      misses: metric(metrics, 'etcdts_value_cache_misses_total'),
      values,
    };
  } finally {
    c.close();
    await m.stop();
  }
}

test('--value-cache-bytes: 0 sends every value read to LevelDB; the default serves them from memory', { timeout: 120_000 }, async () => {
  const cached = await readsWith([]);
  const uncached = await readsWith(['--value-cache-bytes', '0']);
  const expected = Array.from({ length: 200 }, (_, i) => `v${i}`);
  assert.deepEqual(cached.values, expected);
  assert.deepEqual(uncached.values, expected);
  assert.ok(cached.bytes > 0, JSON.stringify(cached));
  assert.ok(cached.hits >= 400, JSON.stringify(cached));
  assert.equal(uncached.bytes, 0, JSON.stringify(uncached));
  assert.equal(uncached.hits, 0, JSON.stringify(uncached));
  assert.ok(uncached.misses >= 400, JSON.stringify(uncached));
});
