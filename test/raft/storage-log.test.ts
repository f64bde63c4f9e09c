import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EntryType,
  MemoryStorage,
  RaftError,
  decodeConfChange,
  decodeConfChangeV2,
  encodeConfChange,
  encodeConfChangeV2,
} from '../../src/raft';
import { Inflights } from '../../src/raft/inflights';
import { majorityCommittedIndex, jointVoteResult } from '../../src/raft/quorum';
import { RaftLog } from '../../src/raft/raft-log';
import { ent } from './helpers/net';

const isCode = (code: string) => (e: unknown) => e instanceof RaftError && e.code === code;

test('MemoryStorage: append, truncate, term, entries, compact, snapshot', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(1, 2), ent(2, 3)]);
  assert.equal(s.firstIndex(), 1);
  assert.equal(s.lastIndex(), 3);
  assert.equal(s.term(3), 2);
  s.append([ent(3, 3), ent(3, 4)]); // truncates the conflicting suffix
  assert.deepEqual(
    s.entries(1, 5, Infinity).map((e) => [e.term, e.index]),
    [
      [1, 1],
      [1, 2],
      [3, 3],
      [3, 4],
    ],
  );
  assert.deepEqual(s.entries(1, 5, 1).length, 1, 'size limit keeps at least one entry');
  s.createSnapshot(3, { voters: [1n], learners: [] }, new Uint8Array([9]));
  s.compact(3);
  assert.equal(s.firstIndex(), 4);
  assert.equal(s.term(3), 3, 'the compaction point keeps its term');
  assert.throws(() => s.term(2), isCode('Compacted'));
  assert.throws(() => s.entries(3, 5, Infinity), isCode('Compacted'));
  assert.throws(() => s.term(9), isCode('Unavailable'));
  assert.equal(s.snapshot().metadata.index, 3);
  assert.throws(() => s.applySnapshot(s.snapshot()), isCode('SnapOutOfDate'));
  s.applySnapshot({ data: new Uint8Array(0), metadata: { index: 10, term: 4, confState: { voters: [1n], learners: [] } } });
  assert.equal(s.firstIndex(), 11);
  assert.equal(s.lastIndex(), 10);
  s.append([ent(1, 5)]); // already compacted: ignored
  assert.equal(s.lastIndex(), 10);
  assert.throws(() => s.append([ent(4, 12)]), /missing log entry/);
});

test('RaftLog: maybeAppend, conflicts, commit, unstable/stable, findConflictByTerm', () => {
  const s = new MemoryStorage();
  s.append([ent(1, 1), ent(2, 2), ent(2, 3)]);
  const l = new RaftLog(s);
  assert.equal(l.lastIndex(), 3);
  assert.equal(l.maybeAppend(3, 1, 3, []), undefined, 'mismatched previous term');
  assert.equal(l.maybeAppend(3, 2, 2, [ent(3, 4), ent(3, 5)]), 5);
  assert.equal(l.committed, 2);
  assert.deepEqual(
    l.unstableEntries().map((e) => e.index),
    [4, 5],
  );
  assert.equal(l.maybeAppend(2, 2, 4, [ent(4, 3)]), 3, 'conflict at 3 truncates 3..5');
  assert.equal(l.lastIndex(), 3);
  assert.equal(l.committed, 3);
  assert.deepEqual(l.findConflictByTerm(3, 3), { index: 2, term: 2 });
  assert.deepEqual(l.findConflictByTerm(3, 1), { index: 1, term: 1 });
  assert.throws(() => l.maybeAppend(1, 1, 4, [ent(9, 2)]), /conflict with committed entry/);
  assert.equal(l.isUpToDate(3, 4), true);
  assert.equal(l.isUpToDate(9, 3), false);
  l.stableTo(3, 4);
  assert.deepEqual(l.unstableEntries(), []);
  assert.deepEqual(
    l.nextEnts().map((e) => e.index),
    [1, 2, 3],
  );
});

test('Inflights: bounded ring with freeLE', () => {
  const inf = new Inflights(3);
  inf.add(5);
  inf.add(7);
  inf.add(9);
  assert.equal(inf.full(), true);
  assert.throws(() => inf.add(10));
  inf.freeLE(7);
  assert.equal(inf.length(), 1);
  inf.add(11);
  inf.add(12);
  assert.equal(inf.full(), true);
  inf.freeLE(100);
  assert.equal(inf.length(), 0);
});

test('quorum: majority commit index and joint votes', () => {
  const voters = new Set([1n, 2n, 3n, 4n, 5n]);
  const acked = new Map([
    [1n, 10],
    [2n, 8],
    [3n, 6],
    [4n, 4],
  ]);
  assert.equal(
    majorityCommittedIndex(voters, (id) => acked.get(id)),
    6,
  );
  const j: [Set<bigint>, Set<bigint>] = [new Set([1n, 2n, 3n]), new Set([3n, 4n, 5n])];
  assert.equal(
    jointVoteResult(
      j,
      new Map([
        [1n, true],
        [2n, true],
      ]),
    ),
    'VotePending',
  );
  assert.equal(
    jointVoteResult(
      j,
      new Map([
        [1n, true],
        [2n, true],
        [4n, true],
        [5n, true],
      ]),
    ),
    'VoteWon',
  );
  assert.equal(
    jointVoteResult(
      j,
      new Map([
        [4n, false],
        [5n, false],
      ]),
    ),
    'VoteLost',
  );
});

test('conf change codec: byte-compatible with etcd raftpb (gogoproto, non-nullable fields)', () => {
  // raftpb.ConfChange{Type: ConfChangeAddNode, NodeID: 1} marshals to 08 00 10 00 18 01.
  assert.deepEqual([...encodeConfChange({ type: 'AddNode', nodeId: 1n })], [0x08, 0x00, 0x10, 0x00, 0x18, 0x01]);
  const big = { type: 'RemoveNode' as const, nodeId: 0x8e2f4a1b3c5d6e7fn, context: new Uint8Array([1, 2]) };
  const back = decodeConfChange(encodeConfChange(big));
  assert.deepEqual([back.type, back.nodeId, [...back.context!]], ['RemoveNode', big.nodeId, [1, 2]]);
  const v2 = {
    transition: 'JointExplicit' as const,
    changes: [
      { type: 'AddLearnerNode' as const, nodeId: 7n },
      { type: 'RemoveNode' as const, nodeId: 2n },
    ],
  };
  assert.deepEqual(decodeConfChangeV2(encodeConfChangeV2(v2)), v2);
  assert.deepEqual(decodeConfChangeV2(new Uint8Array(0)), { transition: 'Auto', changes: [] });
  void EntryType;
});
