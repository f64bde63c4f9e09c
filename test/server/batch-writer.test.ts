/**
 * The Ready loop's batch writer: effects appended from outside apply (a background compaction's
 * deletes) while a Ready is writing must not be lost when that Ready holds its applied effects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchWriter } from '../../src/server/engine/batch-writer';
import { NO_STATS } from '../../src/server/engine/stats';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import type { Db } from '../../src/server/engine/storage/member-db';

/** A database whose batches land only when the test says so. */
class GatedDb {
  readonly batches: BatchOp[][] = [];
  private readonly gates: (() => void)[] = [];
  batch(ops: BatchOp[]): Promise<void> {
    this.batches.push(ops.slice());
    return new Promise((r) => this.gates.push(r));
  }
  /** Lands every batch issued so far. */
  landAll(): void {
    for (const g of this.gates.splice(0)) g();
  }
}

const put = (key: string): BatchOp => ({ type: 'put', key, value: Buffer.from(key) });
const del = (key: string): BatchOp => ({ type: 'del', key });

async function settle(db: GatedDb, writer: BatchWriter): Promise<void> {
  for (let i = 0; i < 10; i++) {
    db.landAll();
    await new Promise((r) => setImmediate(r));
  }
  await writer.drained();
}

test('ops appended while a Ready writes survive the hold of its applied effects, in order', async () => {
  const db = new GatedDb();
  const landed: BatchOp[] = [];
  let busy = true;
  const writer = new BatchWriter({
    db: db as unknown as Db,
    busy: () => busy,
    landed: { settled: (ops) => landed.push(...ops) },
    onError: (e) => assert.fail(e),
    stats: NO_STATS,
  });
  // A Ready takes the held effects and writes its batch (entries, hard state)...
  const ready = writer.write([...writer.take(), put('entry/1')], true);
  // ...meanwhile a compaction step appends its deletes...
  let compactionDurable = false;
  void writer.append([del('mvcc/r/old1'), del('mvcc/r/old2')]).then(() => (compactionDurable = true));
  let written = false;
  void ready.then(() => (written = true));
  while (!written) {
    db.landAll();
    await new Promise((r) => setImmediate(r));
  }
  // ...then the Ready applies its entries and holds their effects for the next batch.
  writer.hold([put('mvcc/r/new'), put('applied')]);
  busy = false;
  writer.flush();
  await settle(db, writer);
  assert.equal(compactionDurable, true);
  assert.deepEqual(
    landed.map((op) => `${op.type} ${op.key}`),
    ['put entry/1', 'del mvcc/r/old1', 'del mvcc/r/old2', 'put mvcc/r/new', 'put applied'],
  );
});
