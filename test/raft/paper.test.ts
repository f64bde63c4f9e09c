/**
 * One test per rule of the Raft paper ("In Search of an Understandable Consensus Algorithm",
 * extended version), in the spirit of etcd-io/raft's raft_paper_test.go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryType, MemoryStorage, MessageType, RaftError } from '../../src/raft';
import { Raft } from '../../src/raft/raft';
import { Prng } from './helpers/prng';
import { Net, PeerStorage, ent, msg, newTestRaft, readMessages, tryStep, withLearners, withPeers } from './helpers/net';

const enc = new TextEncoder();
const types = (r: Raft) => readMessages(r).map((m) => `${MessageType[m.type]}->${m.to}`);

function commitNoopEntry(r: Raft, s: MemoryStorage): void {
  assert.equal(r.state, 'StateLeader');
  r.bcastAppend();
  for (const m of readMessages(r)) {
    if (m.type !== MessageType.MsgApp || m.entries.length !== 1 || m.entries[0]!.data.length !== 0) throw new Error('not a noop append');
    r.step(msg(MessageType.MsgAppResp, Number(m.to), 1, { term: r.term, index: m.index + m.entries.length }));
  }
  readMessages(r);
  s.append(r.raftLog.unstableEntries());
  r.raftLog.appliedTo(r.raftLog.committed);
  r.raftLog.stableTo(r.raftLog.lastIndex(), r.raftLog.lastTerm());
}

function electedLeader(ids: number[]): { r: Raft; s: MemoryStorage } {
  const s = withPeers(...ids);
  const r = newTestRaft(1, 10, 1, s);
  r.becomeCandidate();
  r.becomeLeader();
  commitNoopEntry(r, s);
  return { r, s };
}

// §5.1: servers start as followers.
test('§5.1 StartAsFollower', () => {
  const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
  assert.equal(r.state, 'StateFollower');
});

// §5.1: a server seeing a larger term updates its term and reverts to follower.
for (const role of ['follower', 'candidate', 'precandidate', 'leader'] as const) {
  test(`§5.1 UpdateTermFromMessage (${role})`, () => {
    const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
    if (role === 'candidate') r.becomeCandidate();
    if (role === 'precandidate') r.becomePreCandidate();
    if (role === 'leader') {
      r.becomeCandidate();
      r.becomeLeader();
    }
    r.step(msg(MessageType.MsgApp, 2, 1, { term: 2 }));
    assert.equal(r.term, 2);
    assert.equal(r.state, 'StateFollower');
    assert.equal(r.lead, 2n);
  });
}

// §5.1: a request with a stale term is rejected (ignored).
test('§5.1 RejectStaleTermMessage', () => {
  const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
  r.loadState({ term: 2, vote: 0n, commit: 0 });
  let called = false;
  const orig = r.handleAppendEntries.bind(r);
  r.handleAppendEntries = (m) => {
    called = true;
    orig(m);
  };
  r.step(msg(MessageType.MsgApp, 2, 1, { term: 1 }));
  assert.equal(called, false);
});

// §5.2: the leader sends heartbeats to maintain its authority.
test('§5.2 LeaderBcastBeat', () => {
  const hi = 1;
  const r = newTestRaft(1, 10, hi, withPeers(1, 2, 3));
  r.becomeCandidate();
  r.becomeLeader();
  for (let i = 0; i < 10; i++) r.appendEntry([ent(0, i + 1)]);
  readMessages(r);
  for (let i = 0; i < hi; i++) r.tick();
  const ms = readMessages(r);
  assert.deepEqual(
    ms.map((m) => [MessageType[m.type], m.to, m.term, m.commit]),
    [
      ['MsgHeartbeat', 2n, 1, 0],
      ['MsgHeartbeat', 3n, 1, 0],
    ],
  );
});

// §5.2: on election timeout a follower/candidate increments its term, votes for itself and
// requests votes from every other server.
for (const role of ['follower', 'candidate'] as const) {
  test(`§5.2 ${role} starts a new election on timeout`, () => {
    const et = 10;
    const r = newTestRaft(1, et, 1, withPeers(1, 2, 3));
    if (role === 'candidate') r.becomeCandidate();
    const before = r.term;
    for (let i = 0; i < 2 * et; i++) r.tick();
    assert.ok(r.term > before);
    assert.equal(r.state, 'StateCandidate');
    assert.equal(r.vote, 1n);
    const ms = readMessages(r).filter((m) => m.term === r.term);
    assert.deepEqual(
      ms.map((m) => [MessageType[m.type], m.to]),
      [
        ['MsgVote', 2n],
        ['MsgVote', 3n],
      ],
    );
  });
}

// §5.2: a candidate wins with votes from a majority, loses on a majority of rejections,
// and otherwise waits.
test('§5.2 LeaderElectionInOneRoundRPC', () => {
  const cases: [number, Record<number, boolean>, string][] = [
    [1, {}, 'StateLeader'],
    [3, { 2: true, 3: true }, 'StateLeader'],
    [3, { 2: true }, 'StateLeader'],
    [5, { 2: true, 3: true, 4: true, 5: true }, 'StateLeader'],
    [5, { 2: true, 3: true }, 'StateLeader'],
    [3, { 2: false, 3: false }, 'StateFollower'],
    [5, { 2: false, 3: false, 4: false, 5: false }, 'StateFollower'],
    [5, { 2: true, 3: false, 4: false, 5: false }, 'StateFollower'],
    [3, {}, 'StateCandidate'],
    [5, { 2: true }, 'StateCandidate'],
    [5, { 2: false, 3: false }, 'StateCandidate'],
  ];
  for (const [size, votes, want] of cases) {
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const r = newTestRaft(1, 10, 1, withPeers(...ids));
    r.step(msg(MessageType.MsgHup, 1, 1));
    for (const [id, v] of Object.entries(votes)) {
      r.step(msg(MessageType.MsgVoteResp, Number(id), 1, { term: r.term, reject: !v }));
    }
    assert.equal(r.state, want, `size ${size} votes ${JSON.stringify(votes)}`);
  }
});

// §5.2: each server votes for at most one candidate per term, first come first served.
test('§5.2 FollowerVote', () => {
  const cases: [bigint, number, boolean][] = [
    [0n, 2, false],
    [0n, 3, false],
    [2n, 2, false],
    [3n, 3, false],
    [2n, 3, true],
    [3n, 2, true],
  ];
  for (const [vote, nvote, wreject] of cases) {
    const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
    r.loadState({ term: 1, vote, commit: 0 });
    r.step(msg(MessageType.MsgVote, nvote, 1, { term: 1 }));
    const ms = readMessages(r);
    assert.equal(ms.length, 1);
    assert.equal(ms[0]!.type, MessageType.MsgVoteResp);
    assert.equal(ms[0]!.reject, wreject, `vote=${vote} nvote=${nvote}`);
  }
});

// §5.2: a candidate receiving AppendEntries from a leader with term >= its own steps down.
test('§5.2 CandidateFallback', () => {
  for (const term of [1, 2]) {
    const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
    r.step(msg(MessageType.MsgHup, 1, 1));
    assert.equal(r.state, 'StateCandidate');
    r.step(msg(MessageType.MsgApp, 2, 1, { term }));
    assert.equal(r.state, 'StateFollower');
    assert.equal(r.term, term);
  }
});

// §5.2: election timeouts are chosen randomly from [et, 2et).
for (const role of ['follower', 'candidate'] as const) {
  test(`§5.2 ${role} election timeout is randomized in [et, 2et)`, () => {
    const et = 10;
    const seen = new Set<number>();
    for (let k = 0; k < et; k++) {
      // The injected random returns k: the timeout must then be exactly et + k.
      const r = newTestRaft(1, et, 1, withPeers(1, 2, 3), { random: (n) => k % n });
      r.becomeFollower(r.term + 1, 0n);
      if (role === 'candidate') r.becomeCandidate();
      let time = 0;
      while (readMessages(r).length === 0) {
        r.tick();
        time++;
      }
      seen.add(time);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      Array.from({ length: et }, (_, i) => et + i),
    );
  });
}

// §5.2: with randomized timeouts, in most cases only a single server times out first.
test('§5.2 FollowersElectionTimeoutNonconflict', () => {
  const prng = new Prng(12345);
  const rand = (n: number) => prng.int(n);
  const et = 10;
  let conflicts = 0;
  const rounds = 1000;
  for (let round = 0; round < rounds; round++) {
    const rs = [1, 2, 3, 4, 5].map((id) => newTestRaft(id, et, 1, withPeers(1, 2, 3, 4, 5), { random: rand }));
    for (const r of rs) r.becomeFollower(r.term + 1, 0n);
    let timedOut = 0;
    while (timedOut === 0) {
      for (const r of rs) {
        r.tick();
        if (readMessages(r).length > 0) timedOut++;
      }
    }
    if (timedOut > 1) conflicts++;
  }
  assert.ok(conflicts / rounds <= 0.3, `probability of conflicts ${conflicts / rounds} > 0.3`);
});

// §5.3: the leader appends the command to its log and issues AppendEntries in parallel.
test('§5.3 LeaderStartReplication', () => {
  const { r } = electedLeader([1, 2, 3]);
  const li = r.raftLog.lastIndex();
  r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'some data')] }));
  assert.equal(r.raftLog.lastIndex(), li + 1);
  assert.equal(r.raftLog.committed, li);
  const ms = readMessages(r);
  assert.deepEqual(
    ms.map((m) => [MessageType[m.type], m.to, m.index, m.logTerm, m.commit, m.entries.map((e) => [e.term, e.index])]),
    [
      ['MsgApp', 2n, li, 1, li, [[1, li + 1]]],
      ['MsgApp', 3n, li, 1, li, [[1, li + 1]]],
    ],
  );
  assert.deepEqual(
    r.raftLog.unstableEntries().map((e) => e.index),
    [li + 1],
  );
});

// §5.3: an entry is committed once replicated on a majority; followers learn the commit index
// from subsequent AppendEntries.
test('§5.3 LeaderCommitEntry', () => {
  const { r } = electedLeader([1, 2, 3]);
  const li = r.raftLog.lastIndex();
  r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'some data')] }));
  for (const m of readMessages(r)) r.step(msg(MessageType.MsgAppResp, Number(m.to), 1, { term: 1, index: m.index + m.entries.length }));
  assert.equal(r.raftLog.committed, li + 1);
  assert.deepEqual(
    r.raftLog.nextEnts().map((e) => new TextDecoder().decode(e.data)),
    ['some data'],
  );
  const ms = readMessages(r).sort((a, b) => Number(a.to - b.to));
  assert.deepEqual(
    ms.map((m) => [MessageType[m.type], m.to, m.commit]),
    [
      ['MsgApp', 2n, li + 1],
      ['MsgApp', 3n, li + 1],
    ],
  );
});

// §5.3: the leader commits when a majority (counting itself) acknowledges.
test('§5.3 LeaderAcknowledgeCommit', () => {
  const cases: [number, Record<number, boolean>, boolean][] = [
    [1, {}, true],
    [3, {}, false],
    [3, { 2: true }, true],
    [3, { 2: true, 3: true }, true],
    [5, {}, false],
    [5, { 2: true }, false],
    [5, { 2: true, 3: true }, true],
    [5, { 2: true, 3: true, 4: true, 5: true }, true],
  ];
  for (const [size, acceptors, wack] of cases) {
    const ids = Array.from({ length: size }, (_, i) => i + 1);
    const { r } = electedLeader(ids);
    const li = r.raftLog.lastIndex();
    r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'some data')] }));
    for (const m of readMessages(r)) {
      if (acceptors[Number(m.to)]) r.step(msg(MessageType.MsgAppResp, Number(m.to), 1, { term: 1, index: m.index + m.entries.length }));
    }
    assert.equal(r.raftLog.committed > li, wack, `size ${size} acceptors ${JSON.stringify(acceptors)}`);
  }
});

// §5.3: committing an entry also commits all preceding entries, including earlier terms'.
test('§5.3 LeaderCommitPrecedingEntries', () => {
  for (const prior of [[], [ent(2, 1)], [ent(1, 1), ent(2, 2)], [ent(1, 1)]]) {
    const s = withPeers(1, 2, 3);
    s.append(prior);
    const r = newTestRaft(1, 10, 1, s);
    r.loadState({ term: 2, vote: 0n, commit: 0 });
    r.becomeCandidate();
    r.becomeLeader();
    r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'some data')] }));
    for (const m of readMessages(r)) r.step(msg(MessageType.MsgAppResp, Number(m.to), 1, { term: 3, index: m.index + m.entries.length }));
    const li = prior.length;
    assert.deepEqual(
      r.raftLog.nextEnts().map((e) => [e.term, e.index]),
      [...prior.map((e) => [e.term, e.index]), [3, li + 1], [3, li + 2]],
    );
  }
});

// §5.3: once a follower learns an entry is committed, it applies it (in log order).
test('§5.3 FollowerCommitEntry', () => {
  const cases: [string[], number][] = [
    [['some data'], 1],
    [['some data', 'some data2'], 2],
    [['some data2', 'some data'], 2],
    [['some data', 'some data2'], 1],
  ];
  for (const [datas, commit] of cases) {
    const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
    r.becomeFollower(1, 2n);
    const ents = datas.map((d, i) => ent(1, i + 1, d));
    r.step(msg(MessageType.MsgApp, 2, 1, { term: 1, entries: ents, commit }));
    assert.equal(r.raftLog.committed, commit);
    assert.deepEqual(
      r.raftLog.nextEnts().map((e) => e.index),
      ents.slice(0, commit).map((e) => e.index),
    );
  }
});

// §5.3: a follower refuses AppendEntries whose previous entry (index, term) it does not have.
test('§5.3 FollowerCheckMsgApp', () => {
  const ents = [ent(1, 1), ent(2, 2)];
  const cases: [number, number, number, boolean, number][] = [
    // logTerm, index, wantIndex, wantReject, wantRejectHint
    [0, 0, 1, false, 0],
    [ents[0]!.term, ents[0]!.index, 1, false, 0],
    [ents[1]!.term, ents[1]!.index, 2, false, 0],
    [ents[0]!.term, ents[1]!.index, ents[1]!.index, true, 1],
    [ents[1]!.term + 1, ents[1]!.index + 1, ents[1]!.index + 1, true, 2],
  ];
  for (const [term, index, windex, wreject, whint] of cases) {
    const s = withPeers(1, 2, 3);
    s.append(ents);
    const r = newTestRaft(1, 10, 1, s);
    r.loadState({ term: 0, vote: 0n, commit: 1 });
    r.becomeFollower(2, 2n);
    r.step(msg(MessageType.MsgApp, 2, 1, { term: 2, logTerm: term, index }));
    const ms = readMessages(r);
    assert.equal(ms.length, 1);
    assert.deepEqual([ms[0]!.index, ms[0]!.reject, ms[0]!.rejectHint], [windex, wreject, whint], `case ${term}/${index}`);
  }
});

// §5.3: a follower deletes conflicting entries and all that follow, and appends new ones.
test('§5.3 FollowerAppendEntries', () => {
  const cases: [number, number, [number, number][], [number, number][], [number, number][]][] = [
    [
      2,
      2,
      [[3, 3]],
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      [[3, 3]],
    ],
    [
      1,
      1,
      [
        [3, 2],
        [4, 3],
      ],
      [
        [1, 1],
        [3, 2],
        [4, 3],
      ],
      [
        [3, 2],
        [4, 3],
      ],
    ],
    [
      0,
      0,
      [[1, 1]],
      [
        [1, 1],
        [2, 2],
      ],
      [],
    ],
    [0, 0, [[3, 1]], [[3, 1]], [[3, 1]]],
  ];
  for (const [index, term, ents, wents, wunstable] of cases) {
    const s = withPeers(1, 2, 3);
    s.append([ent(1, 1), ent(2, 2)]);
    const r = newTestRaft(1, 10, 1, s);
    r.becomeFollower(2, 2n);
    r.step(msg(MessageType.MsgApp, 2, 1, { term: 2, logTerm: term, index, entries: ents.map(([t, i]) => ent(t, i)) }));
    assert.deepEqual(
      r.raftLog.allEntries().map((e) => [e.term, e.index]),
      wents,
    );
    assert.deepEqual(
      r.raftLog.unstableEntries().map((e) => [e.term, e.index]),
      wunstable,
    );
  }
});

// §5.3 (Figure 7): the leader brings every follower's log into consistency with its own.
test('§5.3 LeaderSyncFollowerLog (Figure 7)', () => {
  const e = (...terms: number[]) => terms.map((t, i) => ent(t, i + 1));
  const leaderLog = e(1, 1, 1, 4, 4, 5, 5, 6, 6, 6);
  const followers = [
    e(1, 1, 1, 4, 4, 5, 5, 6, 6), // a
    e(1, 1, 1, 4), // b
    e(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6), // c
    e(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7), // d
    e(1, 1, 1, 4, 4, 4, 4), // e
    e(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3), // f
  ];
  const term = 8;
  for (const [k, fl] of followers.entries()) {
    const ls = withPeers(1, 2, 3);
    ls.append(leaderLog);
    const lead = newTestRaft(1, 10, 1, ls);
    lead.loadState({ term, vote: 0n, commit: leaderLog.length });
    const fs = withPeers(1, 2, 3);
    fs.append(fl);
    const follower = newTestRaft(2, 10, 1, fs);
    follower.loadState({ term: term - 1, vote: 0n, commit: 0 });
    // Node 3 votes for the leader but its own log is never used afterwards.
    const n = new Net([lead, follower, undefined]);
    n.isolate(3);
    n.campaign(1);
    // A vote from 2 may be refused (case c/d have longer logs): let 3 vote instead.
    if (lead.state !== 'StateLeader') {
      n.recover();
      n.cutLink(2, 3);
      n.send(msg(MessageType.MsgVoteResp, 3, 1, { term: lead.term }));
    }
    assert.equal(lead.state, 'StateLeader', `case ${k}`);
    n.recover();
    n.cutLink(1, 3);
    n.cutLink(2, 3);
    n.propose(1, '');
    const a = lead.raftLog.allEntries().map((x) => [x.term, x.index]);
    const b = follower.raftLog.allEntries().map((x) => [x.term, x.index]);
    assert.deepEqual(b, a, `case ${k}`);
  }
});

// §5.4.1: RequestVote carries the candidate's last log index and term.
test('§5.4.1 VoteRequest', () => {
  const cases: [[number, number][], number][] = [
    [[[1, 1]], 2],
    [
      [
        [1, 1],
        [2, 2],
      ],
      3,
    ],
  ];
  for (const [ents, wterm] of cases) {
    const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
    r.step(msg(MessageType.MsgApp, 2, 1, { term: wterm - 1, entries: ents.map(([t, i]) => ent(t, i)) }));
    readMessages(r);
    for (let i = 1; i < r.electionTimeout * 2; i++) r.tick();
    const ms = readMessages(r).sort((a, b) => Number(a.to - b.to));
    assert.equal(ms.length, 2);
    const last = ents[ents.length - 1]!;
    for (const m of ms) {
      assert.equal(m.type, MessageType.MsgVote);
      assert.equal(m.term, wterm);
      assert.deepEqual([m.index, m.logTerm], [last[1], last[0]]);
    }
  }
});

// §5.4.1: a voter denies its vote if its own log is more up to date than the candidate's.
test('§5.4.1 Voter (up-to-date check)', () => {
  const cases: [[number, number][], number, number, boolean][] = [
    [[[1, 1]], 1, 1, false],
    [[[1, 1]], 1, 2, false],
    [
      [
        [1, 1],
        [1, 2],
      ],
      1,
      1,
      true,
    ],
    [[[1, 1]], 2, 1, false],
    [[[1, 1]], 2, 2, false],
    [
      [
        [1, 1],
        [1, 2],
      ],
      2,
      1,
      false,
    ],
    [[[2, 1]], 1, 1, true],
    [[[2, 1]], 1, 2, true],
    [
      [
        [2, 1],
        [1, 2],
      ],
      1,
      1,
      true,
    ],
  ];
  for (const [ents, logterm, index, wreject] of cases) {
    const s = withPeers(1, 2);
    s.append(ents.map(([t, i]) => ent(t, i)));
    const r = newTestRaft(1, 10, 1, s);
    r.step(msg(MessageType.MsgVote, 2, 1, { term: 3, logTerm: logterm, index }));
    const ms = readMessages(r);
    assert.equal(ms.length, 1);
    assert.equal(ms[0]!.reject, wreject, `log ${JSON.stringify(ents)} cand ${logterm}/${index}`);
  }
});

// §5.4.2: a leader only commits entries of its current term by counting replicas.
test('§5.4.2 LeaderOnlyCommitsLogFromCurrentTerm', () => {
  const cases: [number, number][] = [
    [1, 0],
    [2, 0],
    [3, 3],
  ];
  for (const [index, wcommit] of cases) {
    const s = withPeers(1, 2);
    s.append([ent(1, 1), ent(2, 2)]);
    const r = newTestRaft(1, 10, 1, s);
    r.loadState({ term: 2, vote: 0n, commit: 0 });
    r.becomeCandidate();
    r.becomeLeader();
    readMessages(r);
    r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0)] }));
    r.step(msg(MessageType.MsgAppResp, 2, 1, { term: r.term, index }));
    assert.equal(r.raftLog.committed, wcommit, `ack index ${index}`);
  }
});

// §6: a configuration change takes effect when applied; only one may be pending at a time.
test('§6 ConfChange: one pending at a time, effective on apply', () => {
  const { r } = electedLeader([1, 2, 3]);
  const cc = (type: EntryType) => ({ term: 0, index: 0, type, data: new Uint8Array([0x10, 0x00, 0x18, 0x04]) });
  r.step(msg(MessageType.MsgProp, 1, 1, { entries: [cc(EntryType.EntryConfChange)] }));
  r.step(msg(MessageType.MsgProp, 1, 1, { entries: [cc(EntryType.EntryConfChange)] }));
  const ents = r.raftLog.unstableEntries().slice(-2);
  assert.deepEqual(
    ents.map((e) => e.type),
    [EntryType.EntryConfChange, EntryType.EntryNormal],
  );
  assert.deepEqual(r.prs.voterNodes(), [1n, 2n, 3n]);
  r.applyConfChange({ transition: 'Auto', changes: [{ type: 'AddNode', nodeId: 4n }] });
  assert.deepEqual(r.prs.voterNodes(), [1n, 2n, 3n, 4n]);
});

// §6 (learners, as in etcd): a learner neither votes nor campaigns nor counts toward commit.
test('§6 learners do not vote, campaign, or count for commit', () => {
  const s = withLearners([1, 2], [3]);
  const learner = newTestRaft(3, 10, 1, withLearners([1, 2], [3]));
  for (let i = 0; i < 40; i++) learner.tick();
  assert.equal(learner.state, 'StateFollower');
  assert.equal(readMessages(learner).length, 0);

  const r = newTestRaft(1, 10, 1, s);
  r.becomeCandidate();
  r.becomeLeader();
  readMessages(r);
  const li = r.raftLog.lastIndex();
  r.step(msg(MessageType.MsgAppResp, 3, 1, { term: r.term, index: li }));
  assert.ok(r.raftLog.committed < li);
  r.step(msg(MessageType.MsgAppResp, 2, 1, { term: r.term, index: li }));
  assert.equal(r.raftLog.committed, li);
});

// §8: a new leader commits a no-op entry at the start of its term.
test('§8 leader appends a no-op at the start of its term', () => {
  const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
  r.becomeCandidate();
  r.becomeLeader();
  const ents = r.raftLog.unstableEntries();
  assert.equal(ents.length, 1);
  assert.deepEqual([ents[0]!.term, ents[0]!.data.length], [1, 0]);
});

// §8: proposals without a leader are refused with a typed error.
test('§8 proposal without leader is dropped with RaftError', () => {
  const r = newTestRaft(1, 10, 1, withPeers(1, 2, 3));
  assert.throws(
    () => r.step(msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'x')] })),
    (e: unknown) => e instanceof RaftError && e.code === 'ProposalDropped',
  );
  tryStep(r, msg(MessageType.MsgProp, 1, 1, { entries: [ent(0, 0, 'x')] }));
  assert.deepEqual(types(r), []);
  void enc;
  void PeerStorage;
});
