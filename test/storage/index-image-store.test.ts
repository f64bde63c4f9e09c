/**
 * Index images in LevelDB (index-image-store.ts): a clean stop's image is loaded by the next boot
 * and gives the same store as the revision headers; a stale, damaged or missing image means the
 * headers; an image is deleted by the boot that reads it; none is written while writes are not
 * landed or a compaction is unfinished.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { MvccStore } from '../../src/mvcc';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import { rawBatch } from '../../src/server/engine/storage/raw-batch';
import { loadEngine } from '../../src/server/engine/storage/member-db';
import { saveIndexImage } from '../../src/server/engine/storage/index-image-store';
import { prng } from '../helpers/prng';

type Db = Level<string, Buffer>;
const ALL = { key: Buffer.from([0]), range_end: Buffer.from([0]) };
const hooks = { leaseExists: (): boolean => true };

async function withDb(fn: (db: Db, image: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-image-'));
  const db = new Level<string, Buffer>(join(dir, 'leveldb'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  try {
    await fn(db, join(dir, 'index-image'));
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function land(db: Db, engine: LevelEngine): Promise<void> {
  const ops = engine.drain();
  await rawBatch(db, ops, true);
  engine.settle(ops);
}

/** A store with a random history, landed. */
async function filled(db: Db, seed: number): Promise<{ engine: LevelEngine; store: MvccStore }> {
  const rnd = prng(seed);
  const engine = new LevelEngine(db);
  const store = new MvccStore(engine, hooks, (await loadEngine(db, engine, 0, join(tmpdir(), 'etcd-ts-no-image'))).loader);
  for (let i = 0; i < 2000; i++) {
    const key = Buffer.from(`k${Math.floor(rnd() * 300)}`);
    const r = rnd();
    if (r < 0.15) store.deleteRange({ key });
    else store.put({ key, value: Buffer.alloc(Math.floor(rnd() * 64), i), lease: r > 0.9 ? 77n : 0n });
    if (i === 1500) store.compact(store.currentRevision - 200);
  }
  await land(db, engine);
  return { engine, store };
}

/** What a store answers (and what its engine holds), to compare two loads of the same data. */
function state(engine: LevelEngine, store: MvccStore): unknown {
  const leases: [string, bigint][] = [];
  store.forEachLiveLease((k, l) => leases.push([k, l]));
  return {
    rev: store.currentRevision,
    compact: store.compactRevision,
    keys: store.keyCount,
    all: store.range(ALL),
    old: store.range({ ...ALL, revision: store.compactRevision + 1 }),
    hash: store.hashKV(0),
    image: store.indexImage(),
    revs: engine.revisionImage()?.bytes,
    bytes: engine.sizeBytes,
    leases,
  };
}

async function reload(db: Db, image: string, applied: number): Promise<{ state: unknown; from: string }> {
  const engine = new LevelEngine(db);
  const loaded = await loadEngine(db, engine, applied, image);
  const store = new MvccStore(engine, hooks, loaded.loader);
  return { state: state(engine, store), from: loaded.image.loader !== undefined ? 'image' : loaded.image.reason };
}

test('a saved image is loaded by the next boot, gives the same store as the headers, and is deleted', async () => {
  const seed = Number(process.env.INDEX_IMAGE_SEED ?? Date.now() % 1_000_000);
  console.log(`index image store seed ${seed}`);
  await withDb(async (db, image) => {
    const { engine, store } = await filled(db, seed);
    const expected = state(engine, store);
    assert.equal(saveIndexImage(image, engine, store, 42), undefined);
    assert.ok(existsSync(image));
    const fromImage = await reload(db, image, 42);
    assert.equal(fromImage.from, 'image');
    assert.deepEqual(fromImage.state, expected);
    assert.ok(!existsSync(image));
    const fromHeaders = await reload(db, image, 42);
    assert.equal(fromHeaders.from, 'no index image');
    assert.deepEqual(fromHeaders.state, expected);
  });
});

test('a stale or damaged image is ignored (and deleted): the headers give the store', async () => {
  await withDb(async (db, image) => {
    const { engine, store } = await filled(db, 5);
    const expected = state(engine, store);
    saveIndexImage(image, engine, store, 42);
    const stale = await reload(db, image, 43);
    assert.match(stale.from, /stale index image \(applied index 42, stored 43\)/);
    assert.deepEqual(stale.state, expected);
    assert.ok(!existsSync(image));

    saveIndexImage(image, engine, store, 42);
    const bytes = readFileSync(image);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0x10;
    writeFileSync(image, bytes);
    const damaged = await reload(db, image, 42);
    assert.equal(damaged.from, 'bad index image: it fails its checksum');
    assert.deepEqual(damaged.state, expected);
    assert.ok(!existsSync(image));

    saveIndexImage(image, engine, store, 42);
    writeFileSync(image, readFileSync(image).subarray(0, 30));
    const truncated = await reload(db, image, 42);
    assert.match(truncated.from, /^bad index image/);
    assert.deepEqual(truncated.state, expected);
  });
});

test('no image while writes are not landed or a compaction is unfinished', async () => {
  await withDb(async (db, image) => {
    const { engine, store } = await filled(db, 9);
    store.put({ key: Buffer.from('pending'), value: Buffer.from('x') });
    assert.equal(saveIndexImage(image, engine, store, 1), 'writes not landed');
    await land(db, engine);
    store.compact(store.currentRevision - 100, true);
    assert.ok(store.compactionBacklog > 0);
    await land(db, engine);
    assert.equal(saveIndexImage(image, engine, store, 1), 'a compaction is unfinished');
    assert.ok(!existsSync(image));
    while (store.compactStep(100) > 0);
    await land(db, engine);
    assert.equal(saveIndexImage(image, engine, store, 1), undefined);
    const expected = state(engine, store);
    const loaded = await reload(db, image, 1);
    assert.equal(loaded.from, 'image');
    assert.deepEqual(loaded.state, expected);
  });
});
