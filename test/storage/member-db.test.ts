/** Reading a member's database back at boot: the consistency checks that refuse a store with lost data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDirError, loadEngine, openMemberDb } from '../../src/server/engine/storage/member-db';
import { encodeIndex } from '../../src/server/engine/storage/keys';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import { rawBatch } from '../../src/server/engine/storage/raw-batch';
import { MvccStore } from '../../src/mvcc';
import { encodeEntry, encodeHardState, encodeSnapshotMeta } from '../../src/server/engine/storage/entry-codec';
import {
  APPLIED_INDEX_KEY,
  FORMAT_KEY,
  FORMAT_VALUE,
  FORMAT_VALUE_V1,
  HARD_STATE_KEY,
  HEADER_END,
  HEADER_PREFIX,
  SNAPSHOT_KEY,
  entryKey,
} from '../../src/server/engine/storage/keys';
import { EntryType } from '../../src/raft';

/** A data dir holding entries 1..10 (term 2), committed to 10, with the given snapshot point and applied index. */
async function dataDir(t: { after(fn: () => void): void }, snapshot: number, applied: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-memberdb-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { db } = await openMemberDb(dir);
  const ops = [];
  for (let i = snapshot + 1; i <= 10; i++)
    ops.push({
      type: 'put' as const,
      key: entryKey(i),
      value: encodeEntry({ index: i, term: 2, type: EntryType.EntryNormal, data: Buffer.from(`e${i}`) }),
    });
  ops.push({ type: 'put' as const, key: HARD_STATE_KEY, value: encodeHardState({ term: 2, vote: 1n, commit: 10 }) });
  ops.push({
    type: 'put' as const,
    key: SNAPSHOT_KEY,
    value: encodeSnapshotMeta({ index: snapshot, term: 2, confState: { voters: [1n], learners: [] } }),
  });
  ops.push({ type: 'put' as const, key: APPLIED_INDEX_KEY, value: encodeIndex(applied) });
  await db.batch(ops, { sync: true });
  await db.close();
  return dir;
}

test('boot reads the snapshot point, the entries after it and the applied index', async (t) => {
  const { db, boot } = await openMemberDb(await dataDir(t, 4, 7));
  await db.close();
  assert.equal(boot.snapshot?.index, 4);
  assert.deepEqual(
    boot.entries.map((e) => e.index),
    [5, 6, 7, 8, 9, 10],
  );
  assert.equal(boot.appliedIndex, 7);
  assert.equal(boot.hardState?.commit, 10);
});

test('a snapshot point above the applied index is refused: the entries in between were never applied on disk', async (t) => {
  const dir = await dataDir(t, 6, 3);
  await assert.rejects(openMemberDb(dir), (e: unknown) => {
    assert.ok(e instanceof DataDirError);
    assert.match(e.message, /is corrupt: the snapshot point 6 is above the applied index 3/);
    assert.ok(e.message.includes(dir));
    return true;
  });
});

test('a first start killed while LevelDB was being created leaves no half-made database: the next start begins again', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-memberdb-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // What a kill -9 inside LevelDB's creation leaves: the marker and a database dir with no CURRENT.
  fs.mkdirSync(path.join(dir, 'member', 'leveldb.new'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'member', 'leveldb.new', 'LOCK'), '');
  fs.writeFileSync(path.join(dir, 'member', 'leveldb.new', '000001.log'), Buffer.alloc(0));
  const { db, boot } = await openMemberDb(dir);
  await db.close();
  assert.equal(boot.fresh, true);
  assert.ok(!fs.existsSync(path.join(dir, 'member', 'leveldb.new')));
  assert.ok(fs.existsSync(path.join(dir, 'member', 'leveldb', 'CURRENT')));
});

test('a data dir of format 1 (no revision headers) gets them at its first boot, and loads the same store', async (t) => {
  const dir = await dataDir(t, 4, 7);
  const { db } = await openMemberDb(dir);
  const engine = new LevelEngine(db);
  const store = new MvccStore(engine, {}, (await loadEngine(db, engine, 0, path.join(dir, 'member', 'index-image'))).loader);
  for (let i = 0; i < 300; i++) store.put({ key: Buffer.from(`k${i % 50}`), value: Buffer.from(`v${i}`) });
  store.deleteRange({ key: Buffer.from('k7') });
  store.compact(200);
  const all = { key: Buffer.from([0]), range_end: Buffer.from([0]) };
  const before = store.range(all);
  const hash = store.hashKV(0);
  await rawBatch(db, engine.drain(), true);
  // Format 1: the same records without their headers.
  const headers = await db.keys({ gte: HEADER_PREFIX, lt: HEADER_END }).all();
  assert.ok(headers.length > 50);
  await db.batch(
    headers.map((key) => ({ type: 'del' as const, key })),
    { sync: true },
  );
  await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE_V1), { sync: true });
  await db.close();

  const again = await openMemberDb(dir);
  try {
    assert.equal((await again.db.get(FORMAT_KEY))?.toString(), FORMAT_VALUE);
    assert.equal((await again.db.keys({ gte: HEADER_PREFIX, lt: HEADER_END }).all()).length, headers.length);
    const e2 = new LevelEngine(again.db);
    const s2 = new MvccStore(e2, {}, (await loadEngine(again.db, e2, 0, path.join(dir, 'member', 'index-image'))).loader);
    assert.deepEqual(s2.range(all), before);
    assert.deepEqual(s2.hashKV(0), hash);
  } finally {
    await again.db.close();
  }
});
