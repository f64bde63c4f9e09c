/**
 * Snapshots over their own call and connection: a 20 MiB blob in 1 MiB chunks while heartbeats
 * keep flowing on the message stream, checksum verified; a corrupted chunk and a failing blob
 * source are reported as snapshot failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MessageType, newMessage, type Message } from '../../src/raft/types';
import { connect, heartbeat, startNode, type TestNode } from './helpers';

function msgSnap(from: bigint, to: bigint, index: number): Message {
  return newMessage({
    type: MessageType.MsgSnap,
    from,
    to,
    term: 3,
    snapshot: { data: new Uint8Array(0), metadata: { index, term: 3, confState: { voters: [1n, 2n, 3n], learners: [4n] } } },
  });
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('a 20 MiB snapshot goes in chunks while heartbeats keep flowing; checksum verified', async () => {
  const blob = randomBytes(20 << 20);
  let hbAtStart = -1;
  let commit = 0;
  let heartbeatsDuring = -1;
  const a = await startNode(1n, {
    snapshotBlob: (m) => {
      assert.equal(m.snapshot!.metadata.index, 500);
      hbAtStart = commit;
      return blob;
    },
  });
  const b: TestNode = await startNode(2n, {
    onSnapshot: (m) => {
      heartbeatsDuring = b.received.filter((x) => x.type === MessageType.MsgHeartbeat && x.commit > hbAtStart).length;
      b.snapshots.push(m);
      b.events.emit('change');
    },
  });
  try {
    connect([a, b]);
    a.t.send([heartbeat(1n, 2n, ++commit)]);
    await b.waitFor('stream up', () => b.received.length === 1);
    const timer = setInterval(() => a.t.send([heartbeat(1n, 2n, ++commit)]), 2);
    const t0 = Date.now();
    try {
      a.t.send([msgSnap(1n, 2n, 500)]);
      assert.equal(a.t.activePeers()[0]!.snapshotInFlight, true);
      await a.waitFor('snapshot finish', () => a.snapStatus.length > 0, 60_000);
    } finally {
      clearInterval(timer);
    }
    const ms = Date.now() - t0;
    assert.deepEqual(a.snapStatus, [{ id: 2n, status: 'finish' }]);
    assert.equal(b.snapshots.length, 1);
    const got = b.snapshots[0]!;
    assert.equal(got.type, MessageType.MsgSnap);
    assert.equal(got.from, 1n);
    assert.equal(got.snapshot!.metadata.index, 500);
    assert.deepEqual(got.snapshot!.metadata.confState.learners, [4n]);
    assert.equal(got.snapshot!.data.length, blob.length);
    assert.equal(sha(got.snapshot!.data), sha(blob));
    assert.ok(heartbeatsDuring >= 1, `heartbeats delivered during the transfer: ${heartbeatsDuring}`);
    console.log(
      `snapshot: 20 MiB in ${ms} ms (${((20 * 1000) / ms).toFixed(0)} MiB/s), ${heartbeatsDuring} heartbeats delivered meanwhile`,
    );
    assert.equal(a.unreachable.length, 0);
    assert.equal(a.t.activePeers()[0]!.snapshotInFlight, false);
  } finally {
    await Promise.all([a.t.stop(), b.t.stop()]);
  }
});

test('a corrupted chunk fails the checksum: snapshot failure reported, nothing delivered', async () => {
  const blob = randomBytes(5 << 20);
  const a = await startNode(1n, {
    snapshotBlob: () => blob,
    tuning: { snapshotChunkBytes: 1 << 20 },
    testHooks: {
      mutateSnapshotChunk: (i, d) => {
        if (i !== 3) return d;
        const c = Uint8Array.from(d);
        c[1000] = c[1000]! ^ 0xff;
        return c;
      },
    },
  });
  const b = await startNode(2n);
  try {
    connect([a, b]);
    a.t.send([msgSnap(1n, 2n, 9)]);
    await a.waitFor('snapshot status', () => a.snapStatus.length > 0, 30_000);
    assert.deepEqual(a.snapStatus, [{ id: 2n, status: 'failure' }]);
    assert.ok(a.unreachable.includes(2n));
    assert.equal(b.snapshots.length, 0);
    assert.equal(b.t.inboundStats().snapshotFailures, 1);
    // The message stream is unaffected.
    a.t.send([heartbeat(1n, 2n, 1)]);
    await b.waitFor('heartbeat', () => b.received.length === 1);
  } finally {
    await Promise.all([a.t.stop(), b.t.stop()]);
  }
});

test('a failing snapshot source and an empty blob', async () => {
  let fail = true;
  const a = await startNode(1n, {
    snapshotBlob: async () => {
      if (fail) throw new Error('no snapshot file');
      return new Uint8Array(0);
    },
  });
  const b = await startNode(2n);
  try {
    connect([a, b]);
    a.t.send([msgSnap(1n, 2n, 9)]);
    await a.waitFor('failure', () => a.snapStatus.length === 1);
    assert.deepEqual(a.snapStatus[0], { id: 2n, status: 'failure' });
    fail = false;
    a.t.send([msgSnap(1n, 2n, 10)]);
    await a.waitFor('finish', () => a.snapStatus.length === 2);
    assert.deepEqual(a.snapStatus[1], { id: 2n, status: 'finish' });
    assert.equal(b.snapshots.length, 1);
    assert.equal(b.snapshots[0]!.snapshot!.data.length, 0);
    assert.equal(b.snapshots[0]!.snapshot!.metadata.index, 10);
  } finally {
    await Promise.all([a.t.stop(), b.t.stop()]);
  }
});
