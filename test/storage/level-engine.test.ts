/**
 * The LevelDB engine under the same conformance suite as the in-memory engine: records written
 * but not yet landed are read from the overlay, landed ones from LevelDB (through the cache or
 * not), and a reopened engine, whose index is rebuilt from the revision headers, holds the same
 * data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { engineConformance } from '../mvcc/engine-conformance';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import { rawBatch } from '../../src/server/engine/storage/raw-batch';
import { loadEngine } from '../../src/server/engine/storage/member-db';
import type { Engine, IndexLoader } from '../../src/mvcc';
import { decodeRecord, encodeRecord } from '../../src/mvcc/codec';

interface Opened {
  engine: LevelEngine;
  db: Level<string, Buffer>;
  dir: string;
}

const open = new Map<Engine, Opened>();
const loaders = new Map<Engine, IndexLoader>();

async function openAt(dir: string, cacheBytes: number | undefined): Promise<LevelEngine> {
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const engine = new LevelEngine(db, cacheBytes);
  loaders.set(engine, (await loadEngine(db, engine, 0, join(dir, 'index-image'))).loader);
  open.set(engine, { engine, db, dir });
  return engine;
}

async function flushAndClose(e: Engine): Promise<Opened> {
  const o = open.get(e)!;
  open.delete(e);
  const ops = o.engine.drain();
  await rawBatch(o.db, ops, true);
  o.engine.settle(ops);
  await o.db.close();
  return o;
}

async function flush(e: Engine): Promise<void> {
  const o = open.get(e)!;
  const ops = o.engine.drain();
  await rawBatch(o.db, ops, true);
  o.engine.settle(ops);
}

// Once with the default record cache, once with none (every settled record read from LevelDB).
for (const [label, bytes] of [
  ['LevelEngine (LevelDB)', undefined],
  ['LevelEngine (LevelDB, no value cache)', 0],
] as const) {
  engineConformance(label, {
    create: () => openAt(mkdtempSync(join(tmpdir(), 'etcd-ts-engine-')), bytes),
    reopen: async (e) => openAt((await flushAndClose(e)).dir, bytes),
    close: async (e) => rmSync((await flushAndClose(e)).dir, { recursive: true, force: true }),
    flush,
    headers: (e) => loaders.get(e),
  });
}

test('a revision record changed on disk behind the engine fails its checksum when read, and the engine says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-engine-crc-'));
  const e = await openAt(dir, 0);
  try {
    const rec = (v: string): Buffer =>
      encodeRecord({ key: Buffer.from('k'), create_revision: 2, mod_revision: 2, version: 1, value: Buffer.from(v), lease: 0n }, false);
    e.put('r/0000000000000002_00000000', rec('good'));
    await flush(e);
    const reported: Error[] = [];
    e.onCorrupt = (err) => reported.push(err);
    assert.equal(decodeRecord(e.get('r/0000000000000002_00000000')!).kv.value.toString(), 'good');
    // The same length, another byte: what a flipped bit on disk looks like to the reader.
    await open.get(e)!.db.put('mvcc/r/0000000000000002_00000000', rec('gooD'));
    assert.throws(
      () => e.get('r/0000000000000002_00000000'),
      /revision record r\/0000000000000002_00000000 read from LevelDB fails its checksum/,
    );
    assert.equal(reported.length, 1);
  } finally {
    rmSync((await flushAndClose(e)).dir, { recursive: true, force: true });
  }
});
