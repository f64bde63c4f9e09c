/**
 * The LevelDB engine under the same conformance suite as the in-memory engine: records written
 * but not yet landed are read from the overlay, landed ones from LevelDB (through the cache or
 * not), and a reopened engine, whose index is rebuilt from the revision headers, holds the same
 * data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { engineConformance } from '../mvcc/engine-conformance';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import { readEngineState } from '../../src/server/engine/storage/member-db';
import type { Engine } from '../../src/mvcc';

interface Opened {
  engine: LevelEngine;
  db: Level<string, Buffer>;
  dir: string;
}

const open = new Map<Engine, Opened>();

async function openAt(dir: string, cacheBytes: number | undefined): Promise<LevelEngine> {
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const engine = new LevelEngine(db, cacheBytes);
  const { mvcc, headers } = await readEngineState(db);
  engine.load(mvcc, headers);
  open.set(engine, { engine, db, dir });
  return engine;
}

async function flushAndClose(e: Engine): Promise<Opened> {
  const o = open.get(e)!;
  open.delete(e);
  const ops = o.engine.drain();
  await o.db.batch(ops as never, { sync: true });
  o.engine.settle(ops);
  await o.db.close();
  return o;
}

async function flush(e: Engine): Promise<void> {
  const o = open.get(e)!;
  const ops = o.engine.drain();
  await o.db.batch(ops as never, { sync: true });
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
    headers: (e) => (e as LevelEngine).takeHeaders(),
  });
}
