import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, MessageType, RaftError, RawNode, newMessage } from '../../src/raft';

const isCode = (code: string) => (e: unknown) => e instanceof RaftError && e.code === code;

function node(storage = new MemoryStorage(), extra: Partial<ConstructorParameters<typeof RawNode>[0]> = {}): RawNode {
  return new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, random: () => 0, ...extra });
}

test('RawNode: config validation', () => {
  assert.throws(() => node(new MemoryStorage(), { id: 0n }), /none as id/);
  assert.throws(() => node(new MemoryStorage(), { electionTick: 1 }), /election tick/);
  assert.throws(() => node(new MemoryStorage(), { readOnlyOption: 'leaseBased' }), /CheckQuorum/);
});

test('RawNode: step rejects local messages and responses from unknown peers', () => {
  const n = node();
  n.bootstrap([1n, 2n, 3n]);
  assert.throws(() => n.step(newMessage({ type: MessageType.MsgHup, from: 1n })), isCode('StepLocalMsg'));
  assert.throws(() => n.step(newMessage({ type: MessageType.MsgAppResp, from: 9n, term: 1 })), isCode('StepPeerNotFound'));
  // Requests from unknown peers are still processed (e.g. a new member before it is applied).
  n.step(newMessage({ type: MessageType.MsgHeartbeat, from: 9n, to: 1n, term: 1 }));
});

test('RawNode: bootstrap requires peers and an empty storage', () => {
  assert.throws(() => node().bootstrap([]), /at least one peer/);
  const s = new MemoryStorage();
  s.append([{ term: 1, index: 1, type: 0, data: new Uint8Array(0) }]);
  assert.throws(() => node(s).bootstrap([1n]), /nonempty Storage/);
});

test('RawNode: hasReady/ready/advance cycle; ready carries hardState only when changed', () => {
  const s = new MemoryStorage();
  const n = node(s);
  n.bootstrap([1n]);
  let rd = n.ready();
  assert.ok(rd.hardState !== undefined);
  s.append(rd.entries);
  s.setHardState(rd.hardState);
  for (const e of rd.committedEntries) assert.equal(e.type, 1);
  n.applyConfChange({ type: 'AddNode', nodeId: 1n });
  n.advance(rd);
  assert.equal(n.hasReady(), false);
  n.campaign();
  rd = n.ready();
  assert.equal(rd.softState?.raftState, 'StateLeader');
  s.append(rd.entries);
  n.advance(rd);
  n.tick();
  assert.equal(n.hasReady(), false, 'a single voter sends no heartbeats');
  const st = n.status();
  assert.deepEqual(st.config, { voters: [1n], learners: [] });
  assert.equal(n.basicStatus().lead, 1n);
});

test('RawNode: transferLeader to self or unknown is a no-op; proposals keep working', () => {
  const s = new MemoryStorage();
  s.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState: { voters: [1n], learners: [] } } });
  const n = node(s, { applied: 1 });
  n.campaign();
  n.transferLeader(1n);
  n.transferLeader(7n);
  n.propose(new Uint8Array([1]));
  const rd = n.ready();
  assert.deepEqual(
    rd.committedEntries.map((e) => e.index),
    [2, 3],
  );
});
