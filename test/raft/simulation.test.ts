/**
 * Randomized simulation of 3- and 5-node clusters. Each schedule is seeded; a failure prints its
 * seed and can be replayed with RAFT_SIM_SEED=<seed>. RAFT_SIM_SCHEDULES=N runs N schedules
 * (default 4000, capped by RAFT_SIM_BUDGET_MS, default 50000 ms, unless N is given explicitly).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSchedule } from './sim/sim-run';

test('randomized simulation: safety, linearizable ReadIndex, liveness after faults', () => {
  const replay = process.env['RAFT_SIM_SEED'];
  if (replay !== undefined) {
    const r = runSchedule(Number(replay));
    console.log(`replayed seed ${replay}:`, r);
    return;
  }
  const explicit = process.env['RAFT_SIM_SCHEDULES'];
  const count = explicit !== undefined ? Number(explicit) : 4000;
  const budget = explicit !== undefined ? Number.POSITIVE_INFINITY : Number(process.env['RAFT_SIM_BUDGET_MS'] ?? 50000);
  const base = Number(process.env['RAFT_SIM_BASE_SEED'] ?? 1);
  const start = Date.now();
  const totals = { schedules: 0, writes: 0, reads: 0, leaders: 0, confChanges: 0, crashes: 0 };
  for (let i = 0; i < count; i++) {
    if (Date.now() - start > budget) break;
    const seed = base + i;
    const r = runSchedule(seed);
    totals.schedules++;
    totals.writes += r.writes;
    totals.reads += r.reads;
    totals.leaders += r.leaders;
    totals.confChanges += r.confChanges;
    totals.crashes += r.crashes;
  }
  console.log(`raft simulation: seeds ${base}..${base + totals.schedules - 1} in ${Date.now() - start} ms`, totals);
  assert.ok(totals.schedules > 0);
  assert.ok(totals.writes > 0 && totals.reads > 0);
});
