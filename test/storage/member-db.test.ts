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
import { encodeHardState, encodeRun, encodeSnapshotMeta } from '../../src/server/engine/storage/entry-codec';
import { DiskLog } from '../../src/server/engine/disk-log';
import {
  APPLIED_INDEX_KEY,
  FORMAT_KEY,
  FORMAT_VALUE,
  FORMAT_VALUE_V1,
  FORMAT_VALUE_V2,
  HARD_STATE_KEY,
  HEADER_END,
  HEADER_PREFIX,
  SNAPSHOT_KEY,
  entryKey,
  runKey,
} from '../../src/server/engine/storage/keys';
import { EntryType } from '../../src/raft';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';

/** An entry as format 2 stored it under its own key: 6-byte term, 1-byte type, data. */
function format2Entry(term: number, data: string): Buffer {
  const b = Buffer.alloc(7 + data.length);
  b.writeUIntBE(term, 0, 6);
  b[6] = EntryType.EntryNormal;
  b.write(data, 7);
  return b;
}

/**
 * A data dir holding entries snapshot+1..10 (term 2, data `e<index>`), committed to 10, with the
 * given snapshot point and applied index: as one run, or (format2) one key per entry.
 */
async function dataDir(t: { after(fn: () => void): void }, snapshot: number, applied: number, format2 = false): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-memberdb-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const { db } = await openMemberDb(dir);
  const ops = [];
  const entries = [];
  for (let i = snapshot + 1; i <= 10; i++) entries.push({ index: i, term: 2, type: EntryType.EntryNormal, data: Buffer.from(`e${i}`) });
  if (format2) {
    for (const e of entries) ops.push({ type: 'put' as const, key: entryKey(e.index), value: format2Entry(2, `e${e.index}`) });
    ops.push({ type: 'put' as const, key: FORMAT_KEY, value: Buffer.from(FORMAT_VALUE_V2) });
  } else {
    ops.push({ type: 'put' as const, key: runKey(snapshot + 1), value: encodeRun(entries) });
  }
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

test('a run written over the tail of an earlier one wins at boot, and the writer deletes what it no longer needs', async (t) => {
  const dir = await dataDir(t, 0, 3);
  {
    const { db, boot } = await openMemberDb(dir);
    // A follower's tail 6..10 replaced by a new leader's 6..8 (term 3), as the Ready loop writes it.
    const log = new DiskLog(boot.logRuns);
    const ops: BatchOp[] = [];
    log.append(
      ops,
      [6, 7, 8].map((index) => ({ index, term: 3, type: EntryType.EntryNormal, data: Buffer.from(`n${index}`) })),
    );
    log.hardState(ops, { term: 3, vote: 2n, commit: 7 });
    assert.deepEqual(
      ops.map((o) => o.type + ' ' + o.key),
      [`put ${runKey(6)}`, `put ${HARD_STATE_KEY}`],
    );
    await rawBatch(db, ops, true);
    await db.close();
  }
  const { db, boot } = await openMemberDb(dir);
  try {
    assert.deepEqual(
      boot.entries.map((e) => `${e.index}/${e.term}/${Buffer.from(e.data).toString()}`),
      ['1/2/e1', '2/2/e2', '3/2/e3', '4/2/e4', '5/2/e5', '6/3/n6', '7/3/n7', '8/3/n8'],
    );
    // Compacting through 7 drops the first run (its live part ends at 5) but keeps 6..8.
    const ops: BatchOp[] = [];
    new DiskLog(boot.logRuns).compact(ops, 7);
    assert.deepEqual(
      ops.map((o) => o.type + ' ' + o.key),
      [`del ${runKey(1)}`],
    );
  } finally {
    await db.close();
  }
});

test('a data dir of format 2 (one key per Raft entry) boots with the same log and moves to format 3; its keys go as the log moves on', async (t) => {
  const dir = await dataDir(t, 4, 7, true);
  const { db, boot } = await openMemberDb(dir);
  try {
    assert.equal((await db.get(FORMAT_KEY))?.toString(), FORMAT_VALUE);
    assert.deepEqual(
      boot.entries.map((e) => `${e.index}/${e.term}/${Buffer.from(e.data).toString()}`),
      ['5/2/e5', '6/2/e6', '7/2/e7', '8/2/e8', '9/2/e9', '10/2/e10'],
    );
    const log = new DiskLog(boot.logRuns);
    const ops: BatchOp[] = [];
    // New entries from 9 on: the old keys of 9 and 10 go with it.
    log.append(
      ops,
      [9].map((index) => ({ index, term: 3, type: EntryType.EntryNormal, data: Buffer.from(`n${index}`) })),
    );
    log.compact(ops, 6);
    assert.deepEqual(
      ops.map((o) => o.type + ' ' + o.key),
      [`del ${entryKey(10)}`, `del ${entryKey(9)}`, `put ${runKey(9)}`, `del ${entryKey(5)}`, `del ${entryKey(6)}`],
    );
  } finally {
    await db.close();
  }
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
