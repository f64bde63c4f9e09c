/** rawBatch writes exactly what db.batch writes, and refuses like it on a closed database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { keptBatchApplies, plainOps, rawBatch, rawBatchApplies } from '../../src/server/engine/storage/raw-batch';
import { LevelEngine, type BatchOp } from '../../src/server/engine/storage/level-engine';
import { revKey } from '../../src/mvcc/codec';
import { HEADER_PREFIX, MVCC_PREFIX } from '../../src/server/engine/storage/keys';
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

test('rawBatch: the engine ops whose key and value are accessors land whole (record and header)', async (t) => {
  const a = await open(t);
  const b = await open(t);
  const engine = new LevelEngine(a);
  const rec = Buffer.from([0, 1, 0x6b, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0x76]);
  engine.put(revKey(2, 0), rec);
  engine.put(revKey(3, 0), rec);
  engine.del(revKey(3, 0));
  const ops = engine.drain();
  // classic-level's binding reads each op's properties, accessors included.
  await rawBatch(a, ops, true);
  // abstract-level's db.batch copies each op with a spread: given plain copies, it writes the same.
  await b.batch(plainOps(ops) as never, { sync: true });
  assert.deepEqual(await contents(a), await contents(b));
  const keys = (await contents(a)).map(([k]) => k);
  assert.deepEqual(keys, [HEADER_PREFIX + revKey(2, 0), MVCC_PREFIX + revKey(2, 0)].sort());
  assert.equal((await a.get(MVCC_PREFIX + revKey(2, 0)))!.toString('hex'), rec.toString('hex'));
  await a.close();
  await b.close();
});

test('rawBatch: one native batch kept per database, cleared between writes; a second writer meanwhile, a large write and a reopen', async (t) => {
  const a = await open(t);
  assert.equal(keptBatchApplies(a), true, "classic-level's chained batch (_chainedBatch, _put, _del, _clear, _write) is there");
  await rawBatch(a, [{ type: 'put', key: 'k1', value: Buffer.from('one') }], true);
  await a.del('k1');
  // Were the batch not cleared, k1 would be written again with k2.
  await rawBatch(a, [{ type: 'put', key: 'k2', value: Buffer.from('two') }], false);
  assert.deepEqual(await contents(a), [['k2', Buffer.from('two').toString('hex')]]);

  // Two writes at once: the second does not touch the batch being written.
  await Promise.all([
    rawBatch(
      a,
      [
        { type: 'put', key: 'k3', value: Buffer.from('three') },
        { type: 'del', key: 'k2' },
      ],
      true,
    ),
    rawBatch(a, [{ type: 'put', key: 'k4', value: Buffer.from('four') }], true),
  ]);
  assert.deepEqual(
    (await contents(a)).map(([k]) => k),
    ['k3', 'k4'],
  );

  // A write of more than 4 MiB lands whole; the batch after it starts empty.
  const big = Buffer.alloc(1024 * 1024, 7);
  await rawBatch(
    a,
    [0, 1, 2, 3, 4].map((i) => ({ type: 'put', key: `big${i}`, value: big })),
    false,
  );
  await rawBatch(a, [{ type: 'del', key: 'big0' }], false);
  assert.deepEqual(
    (await contents(a)).map(([k]) => k),
    ['big1', 'big2', 'big3', 'big4', 'k3', 'k4'],
  );
  assert.equal((await a.get('big4'))!.equals(big), true);
  // Each large write puts a fresh batch in place; the database's listeners do not pile up.
  const listeners = a.listenerCount('closing');
  for (let i = 0; i < 3; i++)
    await rawBatch(
      a,
      [0, 1, 2, 3, 4].map((j) => ({ type: 'put', key: `big${j}`, value: big })),
      false,
    );
  assert.equal(a.listenerCount('closing'), listeners);

  // Closed: abstract-level's error; reopened: writes land again.
  await a.close();
  await assert.rejects(rawBatch(a, [{ type: 'put', key: 'k5', value: Buffer.from('five') }], true), /not open/i);
  await a.open();
  await rawBatch(a, [{ type: 'put', key: 'k5', value: Buffer.from('five') }], true);
  assert.equal((await a.get('k5'))!.toString(), 'five');
  assert.equal((await a.get('k3'))!.toString(), 'three');
  await a.close();
});
