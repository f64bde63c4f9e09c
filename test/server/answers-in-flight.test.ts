// AnswersInFlight with a hand-driven scheduler and fake HTTP/2 streams: a fan-out waits for the
// answers being sent, then settles; at most maxWaitMs; runs at once when nothing is in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AnswersInFlight } from '../../src/server/engine/answers-in-flight';
import { FakeScheduler } from '../watch/fakes';

const call = (): { call: { stream: EventEmitter } } => ({ call: { stream: new EventEmitter() } });

test("a fan-out queued before the answer runs only after the answer's stream closed, then settleMs later", () => {
  const sched = new FakeScheduler();
  const a = new AnswersInFlight({ scheduler: sched, maxWaitMs: 5, settleMs: 1 });
  let ran = 0;
  a.whenQuiet(() => ran++); // queued by the apply...
  const c = call();
  a.answering(c); // ...then the proposer answers in the same turn
  assert.equal(a.inFlight, 1);
  sched.runDue();
  assert.equal(ran, 0, 'waits for the answer');
  c.call.stream.emit('close');
  assert.equal(a.inFlight, 0);
  sched.runDue();
  assert.equal(ran, 0, 'settles first');
  sched.advance(1);
  assert.equal(ran, 1);
  sched.advance(10);
  assert.equal(ran, 1, 'the cap does not run it twice');
});

test('nothing in flight: the fan-out runs in the next macrotask', () => {
  const sched = new FakeScheduler();
  const a = new AnswersInFlight({ scheduler: sched });
  let ran = 0;
  a.whenQuiet(() => ran++);
  a.answering({}); // a call without a visible stream is not counted
  assert.equal(a.inFlight, 0);
  sched.runDue();
  assert.equal(ran, 1);
});

test('answers that keep coming hold a fan-out back for maxWaitMs at most; cancel stops it', () => {
  const sched = new FakeScheduler();
  const a = new AnswersInFlight({ scheduler: sched, maxWaitMs: 5, settleMs: 1 });
  const c1 = call();
  a.answering(c1);
  let ran = 0;
  a.whenQuiet(() => ran++);
  sched.runDue();
  sched.advance(4);
  assert.equal(ran, 0);
  sched.advance(1);
  assert.equal(ran, 1, 'ran at the cap while the answer was still in flight');
  c1.call.stream.emit('close');
  sched.advance(5);
  assert.equal(ran, 1);

  const c2 = call();
  a.answering(c2);
  const d = a.whenQuiet(() => ran++);
  sched.runDue();
  d.cancel();
  c2.call.stream.emit('close');
  sched.advance(10);
  assert.equal(ran, 1, 'canceled');
});

test('a closed stream is not counted', () => {
  const a = new AnswersInFlight({ scheduler: new FakeScheduler() });
  const c = call();
  (c.call.stream as EventEmitter & { closed?: boolean }).closed = true;
  a.answering(c);
  assert.equal(a.inFlight, 0);
});
