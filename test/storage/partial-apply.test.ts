/**
 * A large apply's revision records written ahead of its batch (level-engine.ts splitLargeBatch),
 * cut at every point a kill -9 could land: the restart deletes them (member-db.ts
 * dropPartialApply), the store is exactly as before the apply, and replaying the apply gives
 * exactly the store an uncut run gives (same revision, same history, same hash). The cleanup is
 * member-db.ts dropPartialApply, run by loadEngine.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { MvccStore } from '../../src/mvcc';
import { LevelEngine, splitLargeBatch, type BatchOp } from '../../src/server/engine/storage/level-engine';
import { rawBatch } from '../../src/server/engine/storage/raw-batch';
import { loadEngine, type Db } from '../../src/server/engine/storage/member-db';
import { PARTIAL_APPLY_KEY } from '../../src/server/engine/storage/keys';

const hooks = { leaseExists: (): boolean => true };
const KEYS = 1500;
const CHUNK = 700;
const all = { key: Buffer.from([0]), range_end: Buffer.from([0]) };

interface Opened {
  db: Db;
  engine: LevelEngine;
  store: MvccStore;
  dropped: number | undefined;
}

async function open(dir: string): Promise<Opened> {
  const db: Db = new Level<string, Buffer>(join(dir, 'leveldb'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const engine = new LevelEngine(db);
  const { loader, droppedPartial } = await loadEngine(db, engine, 0, join(dir, 'no-image'));
  return { db, engine, store: new MvccStore(engine, hooks, loader), dropped: droppedPartial };
}

/** A store with KEYS keys (some written twice), landed; then a DeleteRange of most of them. */
async function prepared(dir: string): Promise<{ o: Opened; ops: BatchOp[]; deleteRev: number }> {
  const o = await open(dir);
  for (let i = 0; i < KEYS; i++) o.store.put({ key: Buffer.from(`k/${String(i).padStart(5, '0')}`), value: Buffer.from(`v${i}`) });
  for (let i = 0; i < KEYS; i += 7) o.store.put({ key: Buffer.from(`k/${String(i).padStart(5, '0')}`), value: Buffer.from(`w${i}`) });
  const landed = o.engine.drain();
  await rawBatch(o.db, landed, true);
  o.engine.settle(landed);
  const r = o.store.deleteRange({ key: Buffer.from('k/00100'), range_end: Buffer.from('l') });
  return { o, ops: o.engine.drain(), deleteRev: r.response.revision };
}

function snapshotOf(store: MvccStore): unknown {
  return {
    rev: store.currentRevision,
    keys: store.keyCount,
    live: store.range(all).kvs.map((kv) => `${kv.key}=${kv.value}@${kv.mod_revision}/${kv.create_revision}/${kv.version}`),
    hash: store.hashKV(0).hash,
  };
}

test('a large apply written ahead in chunks: every cut restarts to the store before it, and its replay matches an uncut run', async (t) => {
  const dirs: string[] = [];
  t.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'etcd-ts-partial-'));
    dirs.push(d);
    return d;
  };

  // The uncut run, and the store as it was before the DeleteRange.
  const refDir = fresh();
  const ref = await prepared(refDir);
  const split = splitLargeBatch(ref.ops, CHUNK);
  assert.ok(split !== undefined, 'a DeleteRange of 1,400 keys is split at 700 ops a chunk');
  assert.ok(split.ahead.length >= 4, `chunks ahead: ${split.ahead.length}`);
  assert.deepEqual(split.ahead[0]![0]!.key, PARTIAL_APPLY_KEY);
  for (const c of split.ahead) assert.ok(c.length <= CHUNK);
  for (const c of split.ahead) await rawBatch(ref.o.db, c, false);
  await rawBatch(ref.o.db, split.last, true);
  ref.o.engine.settle(ref.ops);
  await ref.o.db.close();
  const after = await open(refDir);
  assert.equal(after.dropped, undefined, 'a whole batch leaves no mark');
  const uncut = snapshotOf(after.store);
  assert.equal(after.store.currentRevision, ref.deleteRev);
  await after.db.close();

  const beforeDir = fresh();
  const before = await prepared(beforeDir);
  await before.o.db.close();
  const reopenedBefore = await open(beforeDir);
  const expectedBefore = snapshotOf(reopenedBefore.store);
  await reopenedBefore.db.close();

  for (let cut = 1; cut <= split.ahead.length; cut++) {
    const dir = fresh();
    const p = await prepared(dir);
    const parts = splitLargeBatch(p.ops, CHUNK)!;
    for (const c of parts.ahead.slice(0, cut)) await rawBatch(p.o.db, c, false);
    await p.o.db.close(); // the process dies here: the last part never lands

    const o = await open(dir);
    assert.ok((o.dropped ?? 0) > 0, `cut ${cut}: the records written ahead are deleted`);
    assert.deepEqual(snapshotOf(o.store), expectedBefore, `cut ${cut}: the store is as before the apply`);
    assert.equal(await o.db.get(PARTIAL_APPLY_KEY), undefined);
    // Raft replays the entry: the same DeleteRange on the restarted store.
    o.store.deleteRange({ key: Buffer.from('k/00100'), range_end: Buffer.from('l') });
    const ops = o.engine.drain();
    await rawBatch(o.db, ops, true);
    o.engine.settle(ops);
    await o.db.close();
    const replayed = await open(dir);
    assert.deepEqual(snapshotOf(replayed.store), uncut, `cut ${cut}: the replay gives the uncut run's store`);
    await replayed.db.close();
  }
});

test('a batch is not split when it deletes a record it also writes, or writes revision keys with plain ops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const o = await open(dir);
  for (let i = 0; i < 1000; i++) o.store.put({ key: Buffer.from(`k${i}`), value: Buffer.from('v') });
  const ops = o.engine.drain();
  assert.ok(splitLargeBatch(ops, CHUNK) !== undefined);
  // A snapshot install's plain ops on revision keys: never split.
  assert.equal(splitLargeBatch([...ops, { type: 'del', key: 'mvcc/r/0000000000000002_00000000' }], CHUNK), undefined);
  // A record put then deleted in the same batch (a Txn rolled back) stays in the last part.
  const withUndo = [...ops];
  o.engine.del((ops[0] as unknown as { ek: string }).ek);
  withUndo.push(...o.engine.drain());
  const split = splitLargeBatch(withUndo, CHUNK)!;
  const ahead = split.ahead.flat().map((op) => op.key);
  assert.ok(!ahead.includes(ops[0]!.key) && !ahead.includes(ops[1]!.key), 'the deleted record and its header are not written ahead');
  assert.ok(split.last.some((op) => op.key === ops[0]!.key && op.type === 'put'));
  await o.db.close();
});
