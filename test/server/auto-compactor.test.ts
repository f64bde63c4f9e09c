/**
 * The auto-compactor's schedule, as etcd 3.6's v3compactor (periodic.go, revision.go), driven by
 * a fake clock: which revision is compacted when, on the leader only, with ErrCompacted counted
 * as success and a failure retried.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { EtcdError } from '../../src/errors';
import { AutoCompactor, REVISION_CHECK_MS } from '../../src/server/engine/auto-compactor';
import { formatGoDuration as goDuration } from '../../src/server/config/duration';
import { FakeScheduler } from '../watch/fakes';

interface Rig {
  clock: FakeScheduler;
  compactions: number[];
  setRev(r: number): void;
  c: AutoCompactor;
  /** What the next compact() call does. */
  answer: () => Promise<unknown>;
}

function rig(mode: 'periodic' | 'revision', retention: number, leader = true): Rig {
  const clock = new FakeScheduler();
  let rev = 1;
  const r: Rig = {
    clock,
    compactions: [],
    setRev: (v) => void (rev = v),
    answer: () => Promise.resolve(),
    c: undefined as unknown as AutoCompactor,
  };
  r.c = new AutoCompactor({
    mode,
    retention,
    now: () => clock.now,
    scheduler: clock,
    rev: () => rev,
    compact: (v) => {
      r.compactions.push(v);
      return r.answer();
    },
    log: pino({ level: 'silent' }),
  });
  r.c.setLeader(leader);
  r.c.start();
  return r;
}

/** Advances the fake clock in steps of `step` ms, setting the revision to time/100 + 1 first. */
async function run(r: Rig, untilMs: number, step = 100): Promise<void> {
  while (r.clock.now < untilMs) {
    r.setRev(Math.floor((r.clock.now + step) / 100) + 1);
    r.clock.advance(step);
    await new Promise((res) => setImmediate(res)); // lets a compaction's promise settle
  }
}

test('periodic 10 s: samples every 1 s; first compaction at 10 s to the revision at 0 s, then every 10 s to the oldest of 11 samples', async () => {
  const r = rig('periodic', 10_000);
  await run(r, 9_900);
  assert.deepEqual(r.compactions, [], 'nothing before the period has passed');
  await run(r, 10_000);
  // Samples were taken at 0, 1 s, ..., 10 s (11 = 10/1 + 1 kept); the oldest is the one at 0 s.
  assert.deepEqual(r.compactions, [1]);
  await run(r, 19_900);
  assert.deepEqual(r.compactions, [1]);
  await run(r, 20_000);
  // 11 samples kept (10/1 + 1), the newest taken 1 s before the check: the oldest is from 11 s ago.
  assert.deepEqual(r.compactions, [1, 91]);
  await run(r, 30_000);
  assert.deepEqual(r.compactions, [1, 91, 191]);
});

test('periodic: the same revision is not compacted twice (an idle store)', async () => {
  const r = rig('periodic', 10_000);
  r.setRev(7);
  for (let i = 0; i < 40; i++) {
    r.clock.advance(1000);
    await new Promise((res) => setImmediate(res));
  }
  assert.deepEqual(r.compactions, [1, 7], 'the sample taken at the start (1), then 7 once and never again');
});

test('periodic 2 h: samples every 6 min, waits 2 h for the first, then compacts hourly', async () => {
  const r = rig('periodic', 2 * 3_600_000);
  await run(r, 2 * 3_600_000 - 360_000, 360_000);
  assert.deepEqual(r.compactions, []);
  await run(r, 2 * 3_600_000, 360_000);
  assert.equal(r.compactions.length, 1);
  await run(r, 3 * 3_600_000, 360_000);
  assert.equal(r.compactions.length, 2, 'after the first, every hour (etcd caps the interval at 1 h)');
  // The oldest of 21 samples (6 min apart, the newest 6 min before the check): the revision of 2 h 6 min ago.
  assert.equal(r.compactions[1], Math.floor((3 * 3_600_000 - 2 * 3_600_000 - 360_000) / 100) + 1);
});

test('periodic: a follower never compacts; once it leads, it compacts at its next sample', async () => {
  const r = rig('periodic', 10_000, false);
  await run(r, 30_000);
  assert.deepEqual(r.compactions, []);
  r.c.setLeader(true);
  await run(r, 31_000);
  assert.deepEqual(r.compactions, [201]);
  r.c.setLeader(false);
  await run(r, 60_000);
  assert.deepEqual(r.compactions, [201]);
});

test('periodic: ErrCompacted counts as success; another error is retried at the next sample', async () => {
  const r = rig('periodic', 10_000);
  r.answer = () => Promise.reject(new EtcdError('Compacted'));
  await run(r, 10_000);
  assert.deepEqual(r.compactions, [1]);
  await run(r, 19_900);
  assert.deepEqual(r.compactions, [1], 'a success: nothing until the next period');
  r.answer = () => Promise.reject(new EtcdError('Timeout'));
  await run(r, 20_000);
  await run(r, 21_000);
  assert.deepEqual(r.compactions, [1, 91, 101], 'failed at 20 s, retried 1 s later with the next sample');
});

test('revision 1000: every 5 minutes, to current - 1000, skipping non-positive and repeated revisions', async () => {
  const r = rig('revision', 1000);
  r.setRev(900);
  r.clock.advance(REVISION_CHECK_MS);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [], 'revision - retention <= 0');
  r.setRev(5000);
  r.clock.advance(REVISION_CHECK_MS - 1);
  assert.deepEqual(r.compactions, []);
  r.clock.advance(1);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [4000]);
  r.clock.advance(REVISION_CHECK_MS);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [4000], 'the same revision is not compacted again');
  r.setRev(5200);
  r.c.setLeader(false);
  r.clock.advance(REVISION_CHECK_MS);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [4000], 'paused on a follower');
  r.c.setLeader(true);
  r.clock.advance(REVISION_CHECK_MS);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [4000, 4200]);
  r.c.stop();
  r.setRev(9000);
  r.clock.advance(10 * REVISION_CHECK_MS);
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.compactions, [4000, 4200], 'stopped');
});

test('durations are logged as Go prints them', () => {
  assert.equal(goDuration(3_600_000), '1h0m0s');
  assert.equal(goDuration(300_000), '5m0s');
  assert.equal(goDuration(2000), '2s');
  assert.equal(goDuration(1500), '1.5s');
  assert.equal(goDuration(250), '250ms');
  assert.equal(goDuration(0), '0s');
});
