/** rawBatch writes exactly what db.batch writes, and refuses like it on a closed database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { rawBatch, rawBatchApplies } from '../../src/server/engine/storage/raw-batch';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import type { Db } from '../../src/server/engine/storage/member-db';

async function open(t: { after(fn: () => void): void }): Promise<Db> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-rawbatch-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db: Db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  return db;
}

async function contents(db: Db): Promise<[string, string][]> {
  return (await db.iterator().all()).map(([k, v]) => [k, v.toString('hex')]);
}

test('rawBatch: same keys and values as db.batch (utf8 keys, Buffer and Uint8Array values, deletes, sync)', async (t) => {
  const a = await open(t);
  const b = await open(t);
  assert.equal(rawBatchApplies(a), true, 'a member database takes the direct path');
  const view = new Uint8Array([0, 1, 2, 250, 255, 7]).subarray(1, 5);
  const batches: [BatchOp[], boolean][] = [
    [
      [
        { type: 'put', key: 'mvcc/r/0001', value: Buffer.from('first') },
        { type: 'put', key: 'raft/e/ü€', value: view },
        { type: 'put', key: 'apply/index', value: Buffer.alloc(8, 1) },
        { type: 'put', key: 'empty', value: new Uint8Array(0) },
      ],
      true,
    ],
    [
      [
        { type: 'del', key: 'mvcc/r/0001' },
        { type: 'put', key: 'apply/index', value: Buffer.alloc(8, 2) },
        { type: 'del', key: 'never-written' },
      ],
      false,
    ],
  ];
  for (const [ops, sync] of batches) {
    await rawBatch(a, ops, sync);
    await b.batch(ops as never, { sync });
  }
  assert.deepEqual(await contents(a), await contents(b));
  assert.deepEqual(await contents(a), [
    ['apply/index', '0202020202020202'],
    ['empty', ''],
    ['raft/e/ü€', '0102fa ff'.replace(' ', '')],
  ]);
  await a.close();
  await b.close();
  await assert.rejects(rawBatch(a, batches[0]![0], true), /not open/i);
});
