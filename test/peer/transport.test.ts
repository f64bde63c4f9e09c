/**
 * PeerTransport on 127.0.0.1: ordered batches between three members, cluster-id and
 * removed-member refusal, reconnection after a peer comes up, unknown peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { MessageType } from '../../src/raft/types';
import { ERR_MEMBER_REMOVED } from '../../src/server/engine/peer/headers';
import { freePort } from '../helpers/ports';
import { app, connect, heartbeat, nextTurn, startNode, type TestNode } from './helpers';

async function stopAll(nodes: TestNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.t.stop()));
}

test('three transports deliver batches in order per pair', async () => {
  const nodes = await Promise.all([1n, 2n, 3n].map((id) => startNode(id)));
  try {
    connect(nodes);
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const N = 600;
    // Several send() calls per turn and across turns; every member sends to every other.
    for (let i = 1; i <= N; i++) {
      for (const from of nodes) {
        const msgs = nodes.filter((n) => n !== from).map((to) => app(from.id, to.id, i));
        from.t.send(msgs);
      }
      if (i % 50 === 0) await nextTurn();
    }
    for (const n of nodes) await n.waitFor(`node ${n.id} gets ${2 * N}`, () => n.received.length === 2 * N);
    for (const n of nodes) {
      for (const from of nodes) {
        if (from === n) continue;
        const idx = n.received.filter((m) => m.from === from.id).map((m) => m.entries[0]!.index);
        assert.deepEqual(
          idx,
          Array.from({ length: N }, (_, i) => i + 1),
          `order ${from.id} -> ${n.id}`,
        );
      }
      assert.ok(n.received.every((m) => m.to === n.id && m.type === MessageType.MsgApp));
    }
    // Entry payloads survive intact.
    const m = b.received.find((x) => x.from === a.id && x.entries[0]!.index === 77)!;
    assert.deepEqual([...m.entries[0]!.data], new Array(100).fill(77));
    const st = a.t.activePeers();
    assert.deepEqual(st.map((s) => [s.id, s.state]).sort(), [
      [2n, 'active'],
      [3n, 'active'],
    ]);
    assert.ok(st.every((s) => s.sentMessages === N && s.dropped === 0 && s.inbound === 1));
    assert.ok(st[0]!.sentBatches < N, 'messages were batched');
    assert.equal(c.unreachable.length, 0);
  } finally {
    await stopAll(nodes);
  }
});

test('a different cluster id is refused with etcd text, reported unreachable', async () => {
  const b = await startNode(2n);
  const x = await startNode(1n, { clusterId: 999n });
  try {
    x.t.addPeer(2n, [b.url]);
    x.t.send([heartbeat(1n, 2n, 1)]);
    await x.waitFor('unreachable report', () => x.unreachable.includes(2n));
    await assert.rejects(x.t.probe(2n), (err: { code: number; details: string }) => {
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.equal(err.details, 'etcdserver: cluster ID mismatch');
      return true;
    });
    assert.equal(b.received.length, 0);
    assert.ok(b.t.inboundStats().refused >= 1);
  } finally {
    await stopAll([b, x]);
  }
});

test('a removed member is refused, its open stream cut off, and it learns it was removed', async () => {
  const [a, b] = await Promise.all([startNode(1n), startNode(2n)]);
  try {
    connect([a, b]);
    a.t.send([heartbeat(1n, 2n, 1)]);
    await b.waitFor('first heartbeat', () => b.received.length === 1);
    b.t.removePeer(1n);
    assert.equal(b.t.isRemoved(1n), true);
    await a.waitFor('stream cut off and removal noticed', () => a.unreachable.includes(2n) && a.removedCalls > 0);
    await assert.rejects(a.t.probe(2n), (err: { code: number; details: string }) => {
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.equal(err.details, ERR_MEMBER_REMOVED);
      return true;
    });
    for (let i = 2; i < 20; i++) {
      a.t.send([heartbeat(1n, 2n, i)]);
      await nextTurn();
    }
    // B never accepts anything more from A; B stops sending to A as well.
    assert.ok(b.t.inboundStats().refused >= 1);
    assert.equal(b.received.length, 1);
    b.t.send([heartbeat(2n, 1n, 5)]);
    assert.deepEqual(b.t.activePeers(), []);
  } finally {
    await stopAll([a, b]);
  }
});

test('a peer that is down comes up: unreachable reported, messages resume after reconnect', async () => {
  const port = await freePort();
  const a = await startNode(1n, { tuning: { backoffMinMs: 20, backoffMaxMs: 100 } });
  let b: TestNode | undefined;
  try {
    a.t.addPeer(2n, [`http://127.0.0.1:${port}`]);
    a.t.send([heartbeat(1n, 2n, 1)]);
    await a.waitFor('unreachable while down', () => a.unreachable.includes(2n));
    assert.notEqual(a.t.activePeers()[0]!.state, 'active');
    b = await startNode(2n, { port });
    const bb = b;
    // Raft keeps sending heartbeats; once the stream is back they arrive.
    let commit = 1;
    const timer = setInterval(() => a.t.send([heartbeat(1n, 2n, ++commit)]), 10);
    try {
      await bb.waitFor('heartbeat after reconnect', () => bb.received.length > 0);
    } finally {
      clearInterval(timer);
    }
    await a.waitFor('active', () => a.t.activePeers()[0]!.state === 'active');
    for (let i = 0; i < 10; i++) a.t.send([app(1n, 2n, 1000 + i)]);
    const apps = (): number[] => bb.received.filter((m) => m.type === MessageType.MsgApp).map((m) => m.entries[0]!.index);
    await bb.waitFor('batch after reconnect', () => apps().length === 10);
    assert.deepEqual(
      apps(),
      Array.from({ length: 10 }, (_, i) => 1000 + i),
    );
    assert.ok(a.t.activePeers()[0]!.failures >= 1);
  } finally {
    await stopAll(b ? [a, b] : [a]);
  }
});

test('a stream that breaks (peer restarts) is reported and re-established', async () => {
  const a = await startNode(1n, { tuning: { backoffMinMs: 20, backoffMaxMs: 100 } });
  let b = await startNode(2n);
  const port = Number(new URL(b.url).port);
  try {
    connect([a, b]);
    a.t.send([heartbeat(1n, 2n, 1)]);
    await b.waitFor('first', () => b.received.length === 1);
    await b.t.stop();
    await a.waitFor('unreachable after peer stop', () => a.unreachable.includes(2n));
    b = await startNode(2n, { port });
    const nb = b;
    let commit = 1;
    const timer = setInterval(() => a.t.send([heartbeat(1n, 2n, ++commit)]), 10);
    try {
      await nb.waitFor('heartbeat after restart', () => nb.received.length > 0);
    } finally {
      clearInterval(timer);
    }
  } finally {
    await stopAll([a, b]);
  }
});

test('messages to unknown peers are dropped without reports; own id and to=0 ignored', async () => {
  const a = await startNode(1n);
  try {
    a.t.send([heartbeat(1n, 9n, 1), heartbeat(1n, 0n, 1), heartbeat(1n, 1n, 1)]);
    await nextTurn();
    assert.deepEqual(a.unreachable, []);
    assert.deepEqual(a.t.activePeers(), []);
  } finally {
    await a.t.stop();
  }
});

test('a full send queue drops messages and reports the peer unreachable', async () => {
  // Nothing listens on the peer's port; the stream stays in `connecting` for the first attempt.
  const port = await freePort();
  const a = await startNode(1n, { tuning: { queueLimit: 10, helloTimeoutMs: 60_000 } });
  try {
    a.t.addPeer(2n, [`http://127.0.0.1:${port}`]);
    const msgs = Array.from({ length: 15 }, (_, i) => heartbeat(1n, 2n, i));
    a.t.send(msgs);
    assert.ok(a.unreachable.includes(2n));
    assert.ok(a.t.activePeers()[0]!.dropped >= 5);
  } finally {
    await a.t.stop();
  }
});

test('updatePeer moves the stream to the new URL; probe answers with the member and cluster id', async () => {
  const deadPort = await freePort();
  const a = await startNode(1n, { tuning: { backoffMinMs: 20, backoffMaxMs: 100 } });
  const b = await startNode(2n);
  try {
    a.t.addPeer(2n, [`http://127.0.0.1:${deadPort}`]);
    a.t.send([heartbeat(1n, 2n, 1)]);
    await a.waitFor('unreachable at the old URL', () => a.unreachable.includes(2n));
    a.t.updatePeer(2n, [b.url]);
    await a.waitFor('active at the new URL', () => a.t.activePeers()[0]!.state === 'active');
    assert.equal(a.t.activePeers()[0]!.url, b.url);
    a.t.send([heartbeat(1n, 2n, 2)]);
    await b.waitFor('heartbeat', () => b.received.length === 1);
    assert.equal(b.received[0]!.commit, 2);
    const id = await a.t.probe(2n);
    assert.deepEqual(id, { memberId: 2n, clusterId: b.t['o'].clusterId });
  } finally {
    await stopAll([a, b]);
  }
});
