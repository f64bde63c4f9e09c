/**
 * etcdts.peer codecs: round trips, and our bytes read by protobufjs loaded from
 * proto/etcdts/peer.proto (which imports raftpb/raft.proto).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { MessageType, newMessage } from '../../src/raft/types';
import {
  decodeBatch,
  decodeIdentity,
  decodeSnapshotChunk,
  decodeSnapshotResult,
  encodeBatch,
  encodeIdentity,
  encodeSnapshotChunk,
  encodeSnapshotResult,
} from '../../src/server/engine/peer/peer-codec';
import { app, heartbeat } from './helpers';

const MAX_U64 = (1n << 64n) - 1n;

function peerRoot(): protobuf.Root {
  const root = new protobuf.Root();
  const dir = join(__dirname, '..', '..', '..', 'proto');
  root.resolvePath = (_origin, target) => join(dir, target.replace(/^.*proto\//, ''));
  root.loadSync('etcdts/peer.proto', { keepCase: true });
  root.resolveAll();
  return root;
}

test('MessageBatch round trip and protobufjs reading it', () => {
  const msgs = [app(1n, 2n, 5), heartbeat(1n, MAX_U64, 3), app(MAX_U64, 2n, 6, 0)];
  const buf = encodeBatch(msgs);
  const back = decodeBatch(buf);
  assert.equal(back.length, 3);
  assert.equal(back[1]!.to, MAX_U64);
  assert.equal(back[2]!.from, MAX_U64);
  assert.deepEqual([...back[0]!.entries[0]!.data], [...msgs[0]!.entries[0]!.data]);
  const T = peerRoot().lookupType('etcdts.peer.MessageBatch');
  const obj = T.toObject(T.decode(buf), { longs: String, arrays: true }) as {
    messages: Array<{ type: number; to: string; entries: unknown[] }>;
  };
  assert.deepEqual(
    obj.messages.map((m) => [m.type, m.to, m.entries.length]),
    [
      [3, '2', 1],
      [8, MAX_U64.toString(), 0],
      [3, '2', 1],
    ],
  );
  assert.deepEqual(decodeBatch(new Uint8Array(0)), []);
});

test('StreamHello / ProbeResponse, SnapshotResult round trips', () => {
  for (const v of [
    { memberId: MAX_U64, clusterId: 1n },
    { memberId: 0n, clusterId: 0n },
    { memberId: 7n, clusterId: 0xabcdef0123456789n },
  ]) {
    const buf = encodeIdentity(v);
    assert.deepEqual(decodeIdentity(buf), v);
    const T = peerRoot().lookupType('etcdts.peer.StreamHello');
    const o = T.toObject(T.decode(buf), { longs: String, defaults: true }) as { member_id: string; cluster_id: string };
    assert.deepEqual([o.member_id, o.cluster_id], [v.memberId.toString(), v.clusterId.toString()]);
  }
  for (const n of [0, 1, 20 << 20, 2 ** 40]) assert.equal(decodeSnapshotResult(encodeSnapshotResult(n)), n);
});

test('SnapshotChunk round trip and protobufjs reading it', () => {
  const m = newMessage({
    type: MessageType.MsgSnap,
    from: 1n,
    to: 2n,
    snapshot: { data: new Uint8Array(0), metadata: { index: 9, term: 2, confState: { voters: [1n, 2n], learners: [] } } },
  });
  const data = new Uint8Array([1, 2, 3]);
  const sha = new Uint8Array(32).fill(7);
  const first = encodeSnapshotChunk({ message: m, totalSize: 3, data });
  const c = decodeSnapshotChunk(first);
  assert.equal(c.message!.snapshot!.metadata.index, 9);
  assert.equal(c.totalSize, 3);
  assert.deepEqual([...c.data], [1, 2, 3]);
  assert.equal(c.sha256, undefined);
  const last = decodeSnapshotChunk(encodeSnapshotChunk({ data: new Uint8Array(0), sha256: sha }));
  assert.equal(last.message, undefined);
  assert.deepEqual([...last.sha256!], [...sha]);
  const T = peerRoot().lookupType('etcdts.peer.SnapshotChunk');
  const o = T.toObject(T.decode(first), { longs: String }) as {
    message: { type: number; snapshot: { metadata: { index: string } } };
    total_size: string;
  };
  assert.equal(o.message.type, MessageType.MsgSnap);
  assert.equal(o.message.snapshot.metadata.index, '9');
  assert.equal(o.total_size, '3');
});
