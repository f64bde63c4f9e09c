/**
 * A stream of small MsgApp messages between two transports on 127.0.0.1: every one arrives, in
 * order, none dropped, no peer reported unreachable. The rate is reported as a diagnostic, not
 * asserted (a timing floor does not belong in a correctness test on a shared machine). A window
 * keeps the sender's queue below its limit, as raft's flow control would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { app, connect, heartbeat, nextTurn, startNode } from './helpers';

test('100,000 small MsgApps between two transports arrive in order, none dropped (rate reported)', async (t) => {
  const [a, b] = await Promise.all([startNode(1n), startNode(2n)]);
  try {
    connect([a, b]);
    a.t.send([heartbeat(1n, 2n, 0)]);
    await b.waitFor('stream up', () => b.received.length === 1);
    const total = Number(process.env.PEER_BENCH_MSGS ?? 100_000);
    const perTurn = 64;
    const window = 2048;
    const base = b.received.length;
    const t0 = process.hrtime.bigint();
    let sent = 0;
    while (sent < total) {
      if (sent - (b.received.length - base) > window) {
        const target = sent - window / 2;
        await b.waitFor('window', () => b.received.length - base >= target, 30_000);
      }
      const msgs = [];
      for (let i = 0; i < perTurn && sent < total; i++) msgs.push(app(1n, 2n, ++sent));
      a.t.send(msgs);
      await nextTurn();
    }
    await b.waitFor('all delivered', () => b.received.length - base === total, 60_000);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = total / secs;
    const st = a.t.activePeers()[0]!;
    const line = `peer throughput: ${total} MsgApp (1 x 100 B entry each) in ${secs.toFixed(2)} s = ${Math.round(rate)} msg/s, ${st.sentBatches} batches (avg ${(total / st.sentBatches).toFixed(1)} msgs), ${(st.sentBytes / secs / 1048576).toFixed(1)} MiB/s`;
    t.diagnostic(line);
    console.log(line);
    assert.equal(st.dropped, 0);
    assert.deepEqual(a.unreachable, []);
    // In order.
    for (let i = 0; i < total; i++) if (b.received[base + i]!.entries[0]!.index !== i + 1) assert.fail(`out of order at ${i}`);
  } finally {
    await Promise.all([a.t.stop(), b.t.stop()]);
  }
});
