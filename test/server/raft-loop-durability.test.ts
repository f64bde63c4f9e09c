/**
 * The Ready loop's writes, cut at every point a kill -9 could land: each prefix of the batches it
 * handed to LevelDB must be a data dir a restart recovers without losing an applied entry.
 *
 * A restart replays Raft from its snapshot point and skips entries at or below the persisted
 * applied index (their effects are on disk). So at every cut:
 *   - the snapshot point is at or below the applied index (a snapshot above it would skip the
 *     entries in between, whose effects are not on disk: the CI failure of 2026-11-21, "store
 *     revision 14619 < max acknowledged revision 14643" with --snapshot-count=100);
 *   - every entry above the applied index, up to the hard state's commit, is still in the log;
 *   - the effects on disk are exactly those of the entries up to the applied index.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import { decodeHardState, decodeRun, decodeSnapshotMeta } from '../../src/server/engine/storage/entry-codec';
import { LogLoader } from '../../src/server/engine/storage/log-runs';
import { APPLIED_INDEX_KEY, HARD_STATE_KEY, RUN_PREFIX, SNAPSHOT_KEY } from '../../src/server/engine/storage/keys';
import { EFFECT_PREFIX } from './fake-state-machine';
import { loneLoop, turns } from './lone-loop';

/** Records every batch, in the order the loop issues them (LevelDB applies them in that order). */
class RecordingDb {
  readonly batches: BatchOp[][] = [];
  batch(ops: BatchOp[]): Promise<void> {
    this.batches.push(ops.slice());
    return Promise.resolve();
  }
}

function image(batches: BatchOp[][]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const b of batches) {
    for (const op of b) {
      if (op.type === 'put') m.set(op.key, op.value as Buffer);
      else m.delete(op.key);
    }
  }
  return m;
}

/** The indexes of the Raft log a restart reads back from an image (runs in key order, as boot does). */
function logIndexes(img: Map<string, Buffer>): Set<number> {
  const loader = new LogLoader();
  for (const k of [...img.keys()].filter((k) => k.startsWith(RUN_PREFIX)).sort()) loader.add(k, img.get(k)!);
  return new Set(loader.entries.map((e) => e.index));
}

/** The entries of the runs a batch writes. */
function runEntries(ops: readonly BatchOp[]): { index: number; data: string }[] {
  const out: { index: number; data: string }[] = [];
  for (const op of ops) {
    if (op.type !== 'put' || !op.key.startsWith(RUN_PREFIX)) continue;
    for (const e of decodeRun(parseInt(op.key.slice(RUN_PREFIX.length), 16), op.value as Buffer))
      out.push({ index: e.index, data: Buffer.from(e.data).toString() });
  }
  return out;
}

/** What a restart needs from a cut, or the reason it would lose data. */
function checkRecoverable(img: Map<string, Buffer>, proposedAt: Map<number, string>): string | undefined {
  const snap = img.has(SNAPSHOT_KEY) ? decodeSnapshotMeta(img.get(SNAPSHOT_KEY)!).index : 0;
  const applied = img.has(APPLIED_INDEX_KEY) ? Number(img.get(APPLIED_INDEX_KEY)!.readBigUInt64BE(0)) : 0;
  const commit = img.has(HARD_STATE_KEY) ? decodeHardState(img.get(HARD_STATE_KEY)!).commit : 0;
  if (snap > applied) return `snapshot point ${snap} is above the applied index ${applied}`;
  const log = logIndexes(img);
  for (let i = applied + 1; i <= commit; i++) if (!log.has(i)) return `committed entry ${i} (above applied ${applied}) is not in the log`;
  for (const [index, value] of proposedAt) {
    const effect = img.get(EFFECT_PREFIX + index);
    if (index <= applied && effect?.toString() !== value)
      return `entry ${index} is at or below applied ${applied} but its effect is missing`;
    if (index > applied && effect !== undefined) return `entry ${index} is above applied ${applied} but its effect is on disk`;
  }
  return undefined;
}

/**
 * Asserts that every prefix of `batches` is a data dir a restart recovers (checkRecoverable);
 * returns the index each of `values` landed at, from the log as written.
 */
function everyCutRecoverable(batches: BatchOp[][], values: string[]): Map<number, string> {
  const proposedAt = new Map<number, string>();
  const wanted = new Set(values);
  for (const b of batches) {
    for (const { index, data } of runEntries(b)) if (wanted.has(data)) proposedAt.set(index, data);
  }
  assert.equal(proposedAt.size, values.length, 'every proposal reached the log');
  for (let cut = 0; cut <= batches.length; cut++) {
    const problem = checkRecoverable(image(batches.slice(0, cut)), proposedAt);
    assert.equal(problem, undefined, `kill -9 after batch ${cut} of ${batches.length}: ${problem}`);
  }
  return proposedAt;
}

test('every cut of the Ready loop writes is recoverable, across snapshots and log compactions', async () => {
  const db = new RecordingDb();
  const { loop } = await loneLoop(db, 5);

  // Proposals one, two and three at a time, so snapshots fall on every position in a Ready.
  const values: string[] = [];
  for (let round = 0; round < 24; round++) {
    for (let k = 0; k <= round % 3; k++) {
      const v = `v${values.length}`;
      values.push(v);
      loop.propose(Buffer.from(v));
    }
    await turns(10);
  }
  await loop.stop();

  const proposedAt = everyCutRecoverable(db.batches, values);
  const snapshots = db.batches.filter((b) => b.some((op) => op.key === SNAPSHOT_KEY)).length;
  assert.ok(snapshots >= 5, `snapshot points written: ${snapshots}`);
  // After the clean stop, everything is applied on disk.
  const final = image(db.batches);
  const lastIndex = Math.max(...proposedAt.keys());
  assert.equal(Number(final.get(APPLIED_INDEX_KEY)!.readBigUInt64BE(0)), lastIndex);
});

test('every cut is recoverable when entries write many effects (held effects written ahead of the next Ready)', async () => {
  const db = new RecordingDb();
  const { loop } = await loneLoop(db, 4);
  const values: string[] = [];
  for (let round = 0; round < 8; round++) {
    const vs = round % 2 === 1 ? [`many:20001:${round}`, `v${round}`] : [`v${round}`];
    for (const v of vs) {
      values.push(v);
      loop.propose(Buffer.from(v));
    }
    await turns(round % 3 === 0 ? 2 : 10); // sometimes the next proposals come before the effects are written
  }
  await loop.stop();
  everyCutRecoverable(db.batches, values);
  const ahead = db.batches.filter((b) => b.length > 20000 && !b.some((op) => op.key.startsWith(RUN_PREFIX) || op.key === HARD_STATE_KEY));
  assert.ok(ahead.length >= 1, `batches of effects alone: ${ahead.length}`);
});

/** Batches land one event-loop turn after they are issued; `landed` holds their entries by then. */
class SlowDb {
  /** Indexes of the entries whose run has landed. */
  readonly landed = new Set<number>();
  batch(ops: BatchOp[]): Promise<void> {
    const entries = runEntries(ops);
    return new Promise((resolve) =>
      setImmediate(() => {
        for (const e of entries) this.landed.add(e.index);
        resolve();
      }),
    );
  }
}

test('an entry is applied only once its own log write has landed (committed in the same Ready or earlier)', async () => {
  const db = new SlowDb();
  const early: number[] = [];
  const { loop, sm } = await loneLoop(db, 1000);
  let applied = 0;
  sm.onApply = (e) => {
    if (!db.landed.has(e.index)) early.push(e.index);
    if (e.data.length > 0) applied++;
  };
  for (let round = 0; round < 20; round++) {
    for (let k = 0; k <= round % 3; k++) loop.propose(Buffer.from(`v${round}.${k}`));
    await turns(20);
  }
  await loop.stop();
  assert.equal(applied, 39, 'every proposal applied');
  assert.deepEqual(early, [], 'entries applied before their log write landed');
});
