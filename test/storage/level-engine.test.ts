/**
 * The LevelDB engine under the same conformance suite as the in-memory engine: the mirror serves
 * reads, drained writes land in LevelDB, and a reopened engine holds the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { engineConformance } from '../mvcc/engine-conformance';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import { MVCC_END, MVCC_PREFIX } from '../../src/server/engine/storage/keys';
import type { Engine } from '../../src/mvcc';

interface Opened {
  engine: LevelEngine;
  db: Level<string, Buffer>;
  dir: string;
}

const open = new Map<Engine, Opened>();

async function openAt(dir: string): Promise<LevelEngine> {
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const engine = new LevelEngine();
  const records: [string, Uint8Array][] = [];
  for await (const [k, v] of db.iterator({ gte: MVCC_PREFIX, lt: MVCC_END })) records.push([k.slice(MVCC_PREFIX.length), v]);
  engine.load(records);
  open.set(engine, { engine, db, dir });
  return engine;
}

async function flushAndClose(e: Engine): Promise<Opened> {
  const o = open.get(e)!;
  open.delete(e);
  await o.db.batch(o.engine.drain() as never, { sync: true });
  await o.db.close();
  return o;
}

engineConformance('LevelEngine (LevelDB)', {
  create: () => openAt(mkdtempSync(join(tmpdir(), 'etcd-ts-engine-'))),
  reopen: async (e) => openAt((await flushAndClose(e)).dir),
  close: async (e) => rmSync((await flushAndClose(e)).dir, { recursive: true, force: true }),
});
