/**
 * The applied effects of an entry that writes many keys (a DeleteRange or lease revocation of
 * thousands, seconds of LevelDB writes) are written ahead as a batch of their own: a Ready with
 * nothing of its own to persist (here a read round; on a leader of several members, its
 * heartbeats) goes on while they are written, instead of waiting for them inside its batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import { loneLoop, turns } from './lone-loop';

/** Batches land at once while `open`, else only when the test lands them. */
class GatedDb {
  open = true;
  readonly batches: BatchOp[][] = [];
  private readonly gates: (() => void)[] = [];
  batch(ops: BatchOp[]): Promise<void> {
    this.batches.push(ops.slice());
    return this.open ? Promise.resolve() : new Promise((r) => this.gates.push(r));
  }
  landAll(): void {
    for (const g of this.gates.splice(0)) g();
  }
  get gated(): number {
    return this.gates.length;
  }
}

test('a read round is answered while the many effects of an earlier entry are still being written', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the idle flush of held effects never fires on its own
  const db = new GatedDb();
  const { loop } = await loneLoop(db, 1000);
  db.open = false;
  loop.propose(Buffer.from('many:20001'));
  await turns(10);
  assert.equal(db.gated, 1, 'the entry is being written');
  db.landAll(); // the entry lands and is applied: its 20,002 effects are held
  await turns(10);
  let answered = false;
  void loop.linearizableBarrier().then(() => (answered = true));
  await turns(20);
  assert.equal(answered, true, 'the read round waited for the held effects');
  const last = db.batches[db.batches.length - 1]!;
  assert.ok(last.length > 20000 && db.gated === 1, 'the effects are written as a batch of their own, still landing');
  db.open = true;
  db.landAll();
  await turns(10);
  await loop.stop();
});
