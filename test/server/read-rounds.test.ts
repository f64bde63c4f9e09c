/**
 * ReadIndex rounds: contexts are request ids unique across members (two fresh members used to
 * number their rounds 1, 2, ... and the leader answered only one of two equal contexts), and an
 * unanswered round is asked again under a new id, any of which resolves it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadRounds, type Timer } from '../../src/server/engine/read-rounds';
import { RequestIdGenerator } from '../../src/server/wire/request-codec';

/** A fake clock: timers fire only when the test advances it. */
class FakeTimers {
  now = 0;
  private pending: { at: number; fn: () => void; live: boolean }[] = [];
  timer: Timer = (fn, ms) => {
    const t = { at: this.now + ms, fn, live: true };
    this.pending.push(t);
    return () => (t.live = false);
  };
  advance(ms: number): void {
    this.now += ms;
    for (;;) {
      const due = this.pending.filter((t) => t.live && t.at <= this.now).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) return;
      due.live = false;
      due.fn();
    }
  }
}

function rounds(memberId: bigint, nowMs: number, sent: Uint8Array[] = [], clock = new FakeTimers()): ReadRounds {
  const ids = new RequestIdGenerator(memberId, nowMs);
  return new ReadRounds({ nextId: () => ids.nextId(), send: (c) => sent.push(c), timeoutMs: 7000, retryMs: 500, timer: clock.timer });
}

test('two members started in the same millisecond send different read contexts', () => {
  const a = rounds(0x8e9e05c52164694dn, 1_700_000_000_000);
  const b = rounds(0x91bc3c398fb3c146n, 1_700_000_000_000);
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    for (const r of [a, b]) {
      void r.enqueue().catch(() => undefined);
      const ctx = r.issue()!;
      const hex = Buffer.from(ctx).toString('hex');
      assert.ok(!seen.has(hex), `context ${hex} sent twice`);
      seen.add(hex);
    }
  }
  a.failAll(new Error('done'));
  b.failAll(new Error('done'));
});

test('a round resolves from its answer, and only its own waiters', async () => {
  const r = rounds(1n, 0);
  const first = r.enqueue();
  const ctx1 = r.issue()!;
  const second = r.enqueue();
  const ctx2 = r.issue()!;
  let secondDone = false;
  void second.then(() => (secondDone = true));
  r.answer(ctx1, Promise.resolve());
  await first;
  await new Promise((res) => setImmediate(res));
  assert.equal(secondDone, false);
  r.answer(ctx2, Promise.resolve());
  await second;
});

test('an unanswered round is sent again under a new id; an answer to either resolves it', async () => {
  const sent: Uint8Array[] = [];
  const clock = new FakeTimers();
  const r = rounds(7n, 0, sent, clock);
  const p = r.enqueue();
  const ctx = r.issue()!;
  clock.advance(499);
  assert.equal(sent.length, 0);
  clock.advance(1);
  assert.equal(sent.length, 1, 'retried after 500 ms');
  assert.notEqual(Buffer.from(sent[0]!).toString('hex'), Buffer.from(ctx).toString('hex'));
  r.answer(ctx, Promise.resolve());
  await p;
  clock.advance(5000);
  assert.equal(sent.length, 1, 'no retries once answered');
});

test('a round nobody answers fails with the request timeout', async () => {
  const clock = new FakeTimers();
  const r = rounds(7n, 0, [], clock);
  const p = r.enqueue();
  r.issue();
  clock.advance(7000);
  await assert.rejects(p, (e: Error & { kind?: string }) => e.kind === 'Timeout');
});

test('a new leader fails the rounds already sent with "leader changed"; reads not yet sent wait for the next round', async () => {
  const clock = new FakeTimers();
  const ids = new RequestIdGenerator(1n, 0);
  let slow = 0;
  let failed = 0;
  const r = new ReadRounds({
    nextId: () => ids.nextId(),
    send: () => undefined,
    timeoutMs: 7000,
    retryMs: 500,
    timer: clock.timer,
    onSlow: () => slow++,
    onFailed: () => failed++,
  });
  r.leaderChanged();
  assert.equal(failed, 0, 'nothing sent: nothing fails');
  const sent = r.enqueue();
  const ctx = r.issue()!;
  const queued = r.enqueue();
  r.leaderChanged();
  await assert.rejects(sent, (e: Error & { kind?: string }) => e.kind === 'LeaderChanged');
  assert.equal(failed, 1);
  // The old round's answer arrives late: counted as slow (etcd's out-of-date read index response).
  r.answer(ctx, Promise.resolve());
  assert.equal(slow, 1);
  const ctx2 = r.issue()!;
  r.answer(ctx2, Promise.resolve());
  await queued;
  // A round nobody answers times out: slow again.
  const lost = r.enqueue();
  r.issue();
  clock.advance(7000);
  await assert.rejects(lost, (e: Error & { kind?: string }) => e.kind === 'Timeout');
  assert.equal(slow, 2);
  assert.equal(failed, 1);
});
