/** The member-wide flush queue: streams flush in order, a macrotask stops after its budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlushQueue } from '../../src/server/api/watch/flush-queue';
import { FakeScheduler } from './fakes';

test('flushes run in order, each macrotask stops once its budget of responses is spent', () => {
  const tasks: (() => void)[] = [];
  const q = new FlushQueue({ schedule: (fn) => (tasks.push(fn), { cancel: () => undefined }) }, 1500);
  const ran: string[] = [];
  const stream = (name: string, n: number) => ({ runFlush: () => (ran.push(name), n) });
  for (const [name, n] of [
    ['a', 1000],
    ['b', 1000],
    ['c', 10],
    ['d', 3000],
    ['e', 1],
  ] as const)
    q.add(stream(name, n));
  assert.equal(tasks.length, 1, 'one macrotask scheduled for all of them');
  assert.deepEqual(ran, []);
  const perTask: string[][] = [];
  while (tasks.length > 0) {
    const before = ran.length;
    tasks.shift()!();
    perTask.push(ran.slice(before));
  }
  // a+b reach the budget; c+d (d alone is over it); e.
  assert.deepEqual(perTask, [['a', 'b'], ['c', 'd'], ['e']]);
});

test('a stream queued again after its flush runs again; an empty queue schedules nothing', () => {
  const sched = new FakeScheduler();
  const q = new FlushQueue(sched, 10);
  let n = 0;
  const s = { runFlush: () => (n++, 1) };
  q.add(s);
  sched.runDue();
  assert.equal(n, 1);
  assert.equal(sched.pending, 0);
  q.add(s);
  sched.runDue();
  assert.equal(n, 2);
  assert.equal(sched.pending, 0);
});
