import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, MemoryStorage, RawNode, Ready, RaftError, decodeConfChange } from '../../src/raft';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Handles a Ready the way the server does: persist, (no peers to send to), apply, advance. */
function handle(node: RawNode, storage: MemoryStorage, applied: string[]): Ready {
  const rd = node.ready();
  if (rd.snapshot !== undefined) storage.applySnapshot(rd.snapshot);
  storage.append(rd.entries);
  if (rd.hardState !== undefined) storage.setHardState(rd.hardState);
  for (const e of rd.committedEntries) {
    if (e.type === EntryType.EntryConfChange) node.applyConfChange(decodeConfChange(e.data));
    else if (e.data.length > 0) applied.push(dec.decode(e.data));
  }
  node.advance(rd);
  return rd;
}

function newNode(storage: MemoryStorage): RawNode {
  let seed = 1;
  return new RawNode({
    id: 1n,
    electionTick: 10,
    heartbeatTick: 1,
    storage,
    random: (n) => (seed = (seed * 48271) % 2147483647) % n,
  });
}

test('single voter: bootstrap, campaign, propose, commit in the same Ready', () => {
  const storage = new MemoryStorage();
  const node = newNode(storage);
  node.bootstrap([1n]);
  assert.equal(node.hasReady(), true);
  const applied: string[] = [];
  const rd1 = handle(node, storage, applied);
  assert.equal(rd1.entries.length, 1);
  assert.equal(rd1.committedEntries.length, 1);
  assert.deepEqual(rd1.hardState, { term: 1, vote: 0n, commit: 1 });
  assert.equal(rd1.mustSync, true);

  assert.throws(
    () => node.propose(enc.encode('early')),
    (e: unknown) => e instanceof RaftError && e.code === 'ProposalDropped',
  );

  node.campaign();
  const rd2 = handle(node, storage, applied);
  assert.equal(rd2.softState?.raftState, 'StateLeader');
  assert.equal(rd2.softState?.lead, 1n);
  assert.equal(rd2.messages.length, 0);
  assert.deepEqual(rd2.hardState, { term: 2, vote: 1n, commit: 2 });
  assert.equal(rd2.committedEntries.length, 1);

  node.propose(enc.encode('a'));
  node.propose(enc.encode('b'));
  const rd3 = handle(node, storage, applied);
  assert.deepEqual(
    rd3.entries.map((e) => e.index),
    [3, 4],
  );
  assert.deepEqual(
    rd3.committedEntries.map((e) => e.index),
    [3, 4],
  );
  assert.deepEqual(applied, ['a', 'b']);
  assert.equal(node.hasReady(), false);

  node.readIndex(enc.encode('ctx'));
  const rd4 = handle(node, storage, applied);
  assert.deepEqual(rd4.readStates, [{ index: 4, requestCtx: enc.encode('ctx') }]);

  const st = node.status();
  assert.equal(st.raftState, 'StateLeader');
  assert.equal(st.commit, 4);
  assert.equal(st.applied, 4);
  assert.equal(st.progress?.get(1n)?.match, 4);
});

test('single voter: restart from storage and win election by ticking', () => {
  const storage = new MemoryStorage();
  const node = newNode(storage);
  node.bootstrap([1n]);
  const applied: string[] = [];
  handle(node, storage, applied);
  node.campaign();
  handle(node, storage, applied);
  node.proposeBatch([enc.encode('x'), enc.encode('y')]);
  handle(node, storage, applied);
  storage.createSnapshot(3, { voters: [1n], learners: [] }, enc.encode('state'));
  storage.compact(3);

  // Restart: a fresh RawNode on the same storage with the applied index.
  const node2 = new RawNode({ id: 1n, electionTick: 10, heartbeatTick: 1, storage, applied: 4, random: () => 0 });
  assert.equal(node2.basicStatus().raftState, 'StateFollower');
  for (let i = 0; i < 10; i++) node2.tick();
  const applied2: string[] = [];
  const rd = handle(node2, storage, applied2);
  assert.equal(rd.softState?.raftState, 'StateLeader');
  assert.equal(rd.hardState?.term, 3);
  node2.propose(enc.encode('z'));
  handle(node2, storage, applied2);
  assert.deepEqual(applied2, ['z']);
  assert.equal(storage.lastIndex(), 6);
});
