/**
 * The Ready loop's failures: an unexpected error while applying an entry, or a failed write,
 * stops the loop for good: logged once (with the entry's index), onFatal called once, nothing
 * written afterwards (the in-memory state may be half applied), proposals refused, and stop()
 * writes nothing either. A restart then replays from the last durable applied index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { RaftLoop } from '../../src/server/engine/raft-loop';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import { EFFECT_PREFIX, type FakeStateMachine } from './fake-state-machine';
import { testLoop, turns } from './lone-loop';

class Db0 {
  batches: BatchOp[][] = [];
  failWith: Error | undefined;
  batch(ops: BatchOp[]): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.batches.push(ops.slice());
    return Promise.resolve();
  }
}

function setup(): { loop: RaftLoop; db: Db0; sm: FakeStateMachine; logs: Record<string, unknown>[]; fatals: Error[] } {
  const db = new Db0();
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l) as Record<string, unknown>) });
  const { loop, sm } = testLoop(db, { log });
  const fatals: Error[] = [];
  loop.onFatal = (e) => fatals.push(e);
  return { loop, db, sm, logs, fatals };
}

const fatalLogs = (logs: Record<string, unknown>[]): Record<string, unknown>[] => logs.filter((l) => l.level === 60);

test('an apply error stops the loop: one fatal log with the index, onFatal once, nothing written after', async () => {
  const { loop, db, sm, logs, fatals } = setup();
  loop.campaignIfSoleVoter();
  await turns(10);
  assert.ok(loop.isLeader);
  for (let i = 0; i < 3; i++) loop.propose(Buffer.from(`ok${i}`));
  await turns(10);
  const goodApplied = loop.appliedIndex;
  sm.failAt = goodApplied + 2;
  loop.propose(Buffer.from('a'));
  loop.propose(Buffer.from('b-fails'));
  loop.propose(Buffer.from('c'));
  await turns(10);
  assert.equal(fatals.length, 1);
  const f = fatalLogs(logs);
  assert.equal(f.length, 1);
  assert.equal(f[0]!.index, sm.failAt);
  assert.match(String(f[0]!.cause), /boom/);
  const written = db.batches.length;
  assert.throws(() => loop.propose(Buffer.from('after')), /Stopped/);
  assert.throws(() => loop.linearizableBarrier(), /Stopped/);
  await loop.stop();
  assert.equal(db.batches.length, written, 'nothing written after the failure, stop() included');
  // Neither the failed entry's partial effect nor the entries applied with it reached the disk.
  const keys = new Set(db.batches.flat().map((o) => o.key));
  assert.ok(!keys.has(`${EFFECT_PREFIX}${sm.failAt}`));
  assert.ok(!keys.has(`${EFFECT_PREFIX}${sm.failAt - 1}`), 'the Ready with the failure is not written');
  assert.equal(fatals.length, 1);
});

test('a failed write (disk full) stops the loop once', async () => {
  const { loop, db, logs, fatals } = setup();
  loop.campaignIfSoleVoter();
  await turns(10);
  db.failWith = new Error('IO error: No space left on device');
  loop.propose(Buffer.from('x'));
  await turns(10);
  assert.throws(() => loop.propose(Buffer.from('y')), /Stopped/);
  await turns(10);
  assert.equal(fatals.length, 1);
  assert.match(fatals[0]!.message, /No space left/);
  assert.equal(fatalLogs(logs).length, 1);
  await loop.stop();
});
