/**
 * The Raft log as runs (storage/log-runs.ts, engine/disk-log.ts): random appends (with
 * overwritten tails), compactions and installed snapshots, starting from a format-2 log (one key
 * per entry), written into a key image as LevelDB would apply the batches; after every step,
 * reading the image back gives exactly the log Raft holds, every key stands for some entry, and
 * a compaction leaves no key whose entries it covers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiskLog } from '../../src/server/engine/disk-log';
import { LogLoader } from '../../src/server/engine/storage/log-runs';
import { decodeRun, encodeRun } from '../../src/server/engine/storage/entry-codec';
import { ENTRY_PREFIX, RUN_PREFIX, entryKey } from '../../src/server/engine/storage/keys';
import type { BatchOp } from '../../src/server/engine/storage/level-engine';
import { EntryType, type Entry } from '../../src/raft';
import { prng } from '../helpers/prng';

function entry(index: number, term: number): Entry {
  return { index, term, type: EntryType.EntryNormal, data: Buffer.from(`${index}@${term}`) };
}

/** Boot's reading of the image: format-2 keys, then runs, each in key order. */
function load(img: Map<string, Buffer>): LogLoader {
  const loader = new LogLoader();
  for (const prefix of [ENTRY_PREFIX, RUN_PREFIX]) {
    for (const k of [...img.keys()].filter((k) => k.startsWith(prefix)).sort()) loader.add(k, img.get(k)!);
  }
  return loader;
}

function apply(img: Map<string, Buffer>, ops: readonly BatchOp[]): void {
  for (const op of ops) {
    if (op.type === 'put') img.set(op.key, Buffer.from(op.value));
    else img.delete(op.key);
  }
}

test('runs: random appends, overwritten tails, compactions and snapshots read back as the log Raft holds', () => {
  const seed = Number(process.env.LOG_RUNS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`log runs: seed ${seed} (replay with LOG_RUNS_SEED=${seed})`);
  for (let round = 0; round < 50; round++) {
    const rand = prng(seed + round);
    // The model: the log Raft holds (entries above `floor`), and the highest compaction point.
    let model: Entry[] = [];
    let floor = 0;
    let compacted = 0;
    let term = 1;
    const img = new Map<string, Buffer>();
    // Format 2: a few single-entry keys to start from.
    const start = Math.floor(rand() * 5);
    for (let i = 1; i <= start; i++) {
      const e = entry(i, term);
      model.push(e);
      const v = Buffer.alloc(7 + e.data.length);
      v.writeUIntBE(e.term, 0, 6);
      v[6] = e.type;
      v.set(e.data, 7);
      img.set(entryKey(i), v);
    }
    let log = new DiskLog(load(img).runs);
    const trace: string[] = [`format 2: 1..${start}`];
    for (let step = 0; step < 60; step++) {
      const ops: BatchOp[] = [];
      const r = rand();
      let compactedNow = false;
      const last = model.length > 0 ? model[model.length - 1]!.index : floor;
      if (r < 0.6) {
        // New entries, sometimes overwriting an uncommitted tail (a new leader's log).
        let from = last + 1;
        if (rand() < 0.3 && last > floor) from = floor + 1 + Math.floor(rand() * (last - floor));
        if (from <= last) term++;
        const n = 1 + Math.floor(rand() * 6);
        const fresh = Array.from({ length: n }, (_, i) => entry(from + i, term));
        log.append(ops, fresh);
        trace.push(`append ${from}..${from + n - 1}`);
        model = model.filter((e) => e.index < from).concat(fresh);
      } else if (r < 0.85) {
        if (last <= floor) continue;
        const to = floor + Math.floor(rand() * (last - floor + 1));
        log.compact(ops, to);
        trace.push(`compact ${to}`);
        compacted = Math.max(compacted, to);
        compactedNow = true;
        floor = Math.max(floor, to);
        model = model.filter((e) => e.index > floor);
      } else if (r < 0.93) {
        const at = last + Math.floor(rand() * 10);
        log.installSnapshot(ops, { index: at, term, confState: { voters: [1n], learners: [] } }, at);
        trace.push(`snapshot ${at}`);
        model = [];
        floor = at;
        compacted = at;
      } else {
        // A restart: the writer starts again from what boot reads.
        log = new DiskLog(load(img).runs);
        trace.push('restart');
      }
      apply(img, ops);
      trace[trace.length - 1] += ` [${ops.map((o) => o.type + ' ' + o.key.slice(7).replace(/^0+/, '')).join(', ')}]`;
      const loaded = load(img);
      const got = loaded.entries.filter((e) => e.index > floor).map((e) => `${e.index}:${Buffer.from(e.data).toString()}`);
      const want = model.map((e) => `${e.index}:${Buffer.from(e.data).toString()}`);
      assert.deepEqual(got, want, `seed ${seed + round}, step ${step}: ${trace.join('; ')}`);
      for (const run of loaded.runs) {
        assert.ok(run.last >= run.first, `seed ${seed + round}, step ${step}: ${run.key} stands for no entry; ${trace.join('; ')}`);
        // A compaction deletes every run it covers (a run cut short later lingers until the next).
        if (compactedNow)
          assert.ok(
            run.last > compacted,
            `seed ${seed + round}, step ${step}: ${run.key} outlived compaction to ${compacted}; ${trace.join('; ')}`,
          );
      }
    }
  }
});

test('a run round-trips its entries; a truncated run is refused', () => {
  const entries = [entry(7, 2), { index: 8, term: 2 ** 40, type: EntryType.EntryConfChange, data: Buffer.alloc(300, 1) }, entry(9, 3)];
  const buf = encodeRun(entries);
  assert.deepEqual(
    decodeRun(7, buf).map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString('hex')]),
    entries.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString('hex')]),
  );
  assert.throws(() => decodeRun(7, buf.subarray(0, buf.length - 1)), /truncated at entry 9/);
  assert.throws(() => new LogLoader().add(`${RUN_PREFIX}${'0'.repeat(15)}7`, Buffer.alloc(0)), /holds no entries/);
});
