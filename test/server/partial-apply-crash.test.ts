/**
 * A DeleteRange of many keys has its revision records written ahead of its batch, in chunks
 * (level-engine.ts splitLargeBatch). A member whose write fails after the first chunk exits;
 * restarted, it deletes what that chunk wrote and replays the entry: the keys are deleted at the
 * revision the DeleteRange was given, and the history before it is whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcessMember } from '../helpers/process-member';
import { EtcdClient } from './grpc-client';

const KV = 'etcdserverpb.KV';
const KEYS = 25_000; // 50,000 record and header puts: chunks of 4,000 (batch-writer.ts)
const prefix = (p: string): { key: Buffer; range_end: Buffer } => ({ key: Buffer.from(p), range_end: Buffer.from(p.slice(0, -1) + '0') });

test('a member dying between the chunks of a large DeleteRange restarts with it applied once, at its revision', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-partial-crash-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const m = await startProcessMember({ dataDir, env: { ETCDTS_FAILPOINTS: 'writeChunkAhead=error@2' } });
  let c = new EtcdClient(m.endpoint);
  let before: number;
  try {
    for (let i = 0; i < KEYS; i += 100) {
      const success = [];
      for (let j = i; j < i + 100; j++) success.push({ request_put: { key: Buffer.from(`/many/${j}`), value: Buffer.from(`v${j}`) } });
      await c.call(KV, 'Txn', { success });
    }
    before = Number((await c.call(KV, 'Range', { ...prefix('/many/'), count_only: true })).header.revision);
    // The member answers at apply and dies writing the second chunk: the answer may not get out.
    await c.call(KV, 'DeleteRange', prefix('/many/'), 5000).catch(() => undefined);
    const exit = await Promise.race([m.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    assert.ok(exit !== undefined, 'the member whose chunk write failed is still running');
    assert.equal(exit.code, 1);
    assert.match(m.stderr(), /failpoint writeChunkAhead: injected error at hit 2/);
  } finally {
    c.close();
    if ((await Promise.race([m.exited, Promise.resolve(undefined)])) === undefined) await m.kill();
  }

  const r = await startProcessMember({ dataDir });
  c = new EtcdClient(r.endpoint);
  try {
    assert.match(r.stderr(), /deleted the revision records of an apply cut short by a crash/);
    const now = await c.call(KV, 'Range', { ...prefix('/many/'), count_only: true });
    assert.equal(Number(now.count), 0);
    assert.equal(Number(now.header.revision), before + 1, 'the DeleteRange replayed at its own revision');
    const old = await c.call(KV, 'Range', { ...prefix('/many/'), count_only: true, revision: before });
    assert.equal(Number(old.count), KEYS);
    const kv = (await c.call(KV, 'Range', { key: Buffer.from('/many/7'), revision: before })).kvs[0];
    assert.equal(Buffer.from(kv.value).toString(), 'v7');
    const put = await c.call(KV, 'Put', { key: Buffer.from('/after'), value: Buffer.from('x') });
    assert.equal(Number(put.header.revision), before + 2);
  } finally {
    c.close();
    await r.stop();
  }
});
