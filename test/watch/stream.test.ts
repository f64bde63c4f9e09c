// ServerWatchStream + WatchHub over an in-memory store, with a fake gRPC output and a hand-driven
// scheduler: create/cancel/progress semantics, ordering, replay, filters, prev_kv, compaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, create, cancel, progress, view } from './fakes';

const EMPTY = 'mvcc: watcher range is empty';
const DUP = 'mvcc: duplicate watch ID provided on the WatchStream';
const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';

test('ids are assigned from 0 per stream; created carries the current revision and comes first', () => {
  const r = new Rig();
  r.put('a', '1');
  const { s, out } = r.stream();
  s.handle(create({ key: 'foo' }));
  s.handle(create({ key: 'bar' }));
  const other = r.stream();
  other.s.handle(create({ key: 'foo' }));
  r.put('foo', 'x');
  s.flush();
  other.s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=2 created', 'id=1 rev=2 created', 'id=0 rev=3 PUT foo@3=x']);
  assert.deepEqual(view(other.out.take()), ['id=0 rev=2 created', 'id=0 rev=3 PUT foo@3=x']);
  for (const resp of out.sent)
    assert.deepEqual(resp.header, { cluster_id: '1', member_id: '2', revision: resp.header.revision, raft_term: 3 });
});

test('client-chosen ids, duplicates, and auto ids skipping used ones', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'a', id: 1 }));
  s.handle(create({ key: 'a', id: 1 }));
  s.handle(create({ key: 'a' }));
  s.handle(create({ key: 'a' }));
  s.flush();
  assert.deepEqual(view(out.take()), [
    'id=1 rev=1 created',
    `id=-1 rev=1 created canceled reason=${DUP}`,
    'id=0 rev=1 created',
    'id=2 rev=1 created',
  ]);
});

test('invalid creates: empty range, negative start; empty key is "\\0"; "\\0" range_end is >= key', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'b', end: 'a' }));
  s.handle(create({ key: 'b', end: 'b' }));
  s.handle(create({ key: 'a', rev: -1 }));
  s.handle(create({ key: '', end: '\0' })); // id 0: everything
  s.handle(create({ key: 'm', end: '\0' })); // id 1: >= m
  s.handle(create({ key: '' })); // id 2: the key "\0"
  r.put('a', '1');
  r.put('z', '2');
  r.put('\0', '3');
  s.flush();
  assert.deepEqual(view(out.take()), [
    `id=-1 rev=1 created canceled reason=${EMPTY}`,
    `id=-1 rev=1 created canceled reason=${EMPTY}`,
    `id=-1 rev=1 created canceled reason=${COMPACTED}`,
    'id=0 rev=1 created',
    'id=1 rev=1 created',
    'id=2 rev=1 created',
    'id=0 rev=2 PUT a@2=1',
    'id=0 rev=3 PUT z@3=2',
    'id=1 rev=3 PUT z@3=2',
    // Within one revision, the order between different watchers is unspecified (as in etcd).
    'id=2 rev=4 PUT \0@4=3',
    'id=0 rev=4 PUT \0@4=3',
  ]);
});

test('start_revision replays history in one catch-up response, then continues live without gap or duplicate', () => {
  const r = new Rig();
  r.put('k', '1'); // 2
  r.put('other', 'x'); // 3
  r.put('k', '2'); // 4
  r.del('k'); // 5
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', rev: 3 }));
  r.put('k', '3'); // 6: while unsynced, must come after the replay, exactly once
  r.sched.runDue();
  r.put('k', '4'); // 7: synced now
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=5 created', 'id=0 rev=6 PUT k@4=2 DELETE k@5 PUT k@6=3', 'id=0 rev=7 PUT k@7=4']);
  assert.equal(r.hub.synced.size, 1);
  assert.equal(r.hub.unsynced.size, 0);
});

test('all events of one revision (a txn) arrive in one response, in op order', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'p/', end: 'p0' }));
  r.txnPuts([
    ['p/b', '1'],
    ['p/a', '2'],
    ['q', '3'],
  ]);
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=1 created', 'id=0 rev=2 PUT p/b@2=1 PUT p/a@2=2']);
});

test('filters NOPUT / NODELETE; responses filtered to nothing are not sent', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', filters: ['NOPUT'] }));
  s.handle(create({ key: 'k', filters: ['NODELETE'] }));
  r.put('k', '1');
  r.del('k');
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=1 created', 'id=1 rev=1 created', 'id=1 rev=2 PUT k@2=1', 'id=0 rev=3 DELETE k@3']);
});

test('prev_kv on live and replayed events; none for creates; omitted when its revision is compacted', () => {
  const r = new Rig();
  r.put('k', '1'); // 2
  r.put('k', '2'); // 3
  r.put('k', '3'); // 4
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', rev: 2, prevKv: true }));
  r.sched.runDue();
  r.del('k'); // 5
  s.handle(create({ key: 'k', prevKv: false }));
  r.put('k', '4'); // 6
  s.flush();
  assert.deepEqual(view(out.take()), [
    'id=0 rev=4 created',
    'id=0 rev=4 PUT k@2=1 PUT k@3=2 prev=1@2 PUT k@4=3 prev=2@3',
    'id=0 rev=5 DELETE k@5 prev=3@4',
    'id=1 rev=5 created',
    'id=0 rev=6 PUT k@6=4',
    'id=1 rev=6 PUT k@6=4',
  ]);
  // Replay from 3 after compacting at 3: the event at 3 loses its prev (rev 2 is compacted).
  r.store.compact(3);
  s.handle(create({ key: 'k', rev: 3, prevKv: true }));
  r.sched.runDue();
  s.flush();
  assert.deepEqual(view(out.take()), ['id=2 rev=6 created', 'id=2 rev=6 PUT k@3=2 PUT k@4=3 prev=2@3 DELETE k@5 prev=3@4 PUT k@6=4']);
});

test('a compacted start: created, then canceled with compact_revision (header revision 0)', () => {
  const r = new Rig();
  for (let i = 0; i < 5; i++) r.put('k', String(i));
  r.store.compact(4);
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', rev: 3 }));
  s.handle(create({ key: 'k', rev: 4 })); // == compact revision: allowed
  r.sched.runDue();
  s.flush();
  assert.deepEqual(view(out.take()), [
    'id=0 rev=6 created',
    'id=1 rev=6 created',
    'id=0 rev=0 canceled compact=4',
    'id=1 rev=6 PUT k@4=2 PUT k@5=3 PUT k@6=4',
  ]);
  assert.equal(r.hub.watcherCount, 1);
  // The compacted id can still be canceled (etcd keeps it on the stream).
  s.handle(cancel(0));
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=6 canceled']);
});

test('cancel: known id answered and no more events; unknown id ignored', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'k' }));
  s.handle(cancel(7));
  s.handle(cancel(0));
  r.put('k', '1');
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=1 created', 'id=0 rev=1 canceled']);
  assert.equal(r.hub.watcherCount, 0);
});

test('progress request: watch_id -1 only when every watcher is synced; nothing without watchers', () => {
  const r = new Rig();
  r.put('k', '1');
  const { s, out } = r.stream();
  s.handle(progress());
  s.flush();
  assert.deepEqual(out.take(), []);
  s.handle(create({ key: 'k' }));
  s.handle(create({ key: 'k', rev: 1 })); // unsynced until the sync job runs
  s.handle(progress());
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=2 created', 'id=1 rev=2 created']);
  r.sched.runDue();
  s.handle(progress());
  s.flush();
  assert.deepEqual(view(out.take()), ['id=1 rev=2 PUT k@2=1', 'id=-1 rev=2']);
  // A watcher starting in the future is not "synced" for progress purposes.
  s.handle(create({ key: 'k', rev: 100 }));
  s.handle(progress());
  s.flush();
  assert.deepEqual(view(out.take()), ['id=2 rev=2 created']);
});

test('progress_notify: each tick, quiet synced watchers get {watch_id, current revision}', () => {
  const r = new Rig();
  r.progressIntervalMs = 1000;
  r.put('a', '1');
  const { s, out } = r.stream();
  s.handle(create({ key: 'a', progress: true })); // 0
  s.handle(create({ key: 'b', progress: true })); // 1
  s.handle(create({ key: 'c' })); // 2: no progress_notify
  s.flush();
  out.take();
  r.put('a', '2');
  s.flush();
  r.sched.advance(1000);
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=3 PUT a@3=2', 'id=1 rev=3']);
  r.sched.advance(1000);
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=3', 'id=1 rev=3']);
  s.close();
  assert.equal(r.sched.advance(5000), 0);
});

test('catch-up is batched by 1000 revisions, header = last revision of the batch', () => {
  const r = new Rig();
  for (let i = 0; i < 2500; i++) r.put(i % 2 === 0 ? 'k' : 'x', String(i));
  const cur = r.store.currentRevision; // 2501
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', rev: 1 }));
  r.sched.runDue();
  s.flush();
  const rs = out.take();
  assert.equal(rs.length, 4);
  assert.deepEqual(
    rs.map((x) => x.header.revision),
    [cur, 1000, 2000, cur],
  );
  const revs = rs.flatMap((x) => x.events.map((e) => e.kv.mod_revision));
  assert.equal(revs.length, 1250);
  assert.deepEqual(
    revs,
    [...revs].sort((a, b) => a - b),
  );
  assert.equal(new Set(revs).size, revs.length);
});

test('slow consumer: bounded buffer, victim, then every event exactly once and in order', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'k' }));
  s.handle(create({ key: 'j', rev: 1 }));
  s.flush();
  out.take();
  out.accepting = false; // the client stops reading
  s.flush();
  const writesBefore = out.writes;
  const N = 1000;
  for (let i = 0; i < N; i++) {
    r.put('k', String(i));
    if (i % 3 === 0) r.put('j', String(i));
  }
  // Nothing beyond the buffer is held: at most 128 responses queued, plus one per victim watcher.
  assert.ok(r.hub.victims.size >= 1);
  r.sched.runDue();
  s.flush();
  // One batch was written (and refused); nothing more is written until the output drains.
  assert.ok(out.writes - writesBefore <= 1, `${out.writes - writesBefore} writes while not accepting`);
  assert.ok(out.sent.length <= 128, `wrote ${out.sent.length} responses while not accepting`);
  // The client reads again: drain repeatedly, letting the hub's timers run.
  for (let round = 0; round < 200; round++) {
    out.drain();
    r.sched.advance(100);
    s.flush();
    if (r.hub.victims.size === 0 && r.hub.unsynced.size === 0) break;
  }
  r.sched.advance(100);
  s.flush();
  const evs = (id: string): string[] =>
    out.sent.filter((x) => x.watch_id === id).flatMap((x) => x.events.map((e) => e.kv.value.toString()));
  assert.deepEqual(
    evs('0'),
    Array.from({ length: N }, (_, i) => String(i)),
  );
  assert.deepEqual(
    evs('1'),
    Array.from({ length: N }, (_, i) => String(i)).filter((_, i) => i % 3 === 0),
  );
  assert.equal(r.hub.synced.size, 2);
});

test('fragment: large responses split below the limit; fragment=true on all but the last', () => {
  const r = new Rig();
  r.fragmentLimit = 1000;
  const big = 'v'.repeat(300);
  for (let i = 0; i < 10; i++) r.put('k' + i, big);
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', end: 'l', rev: 1, fragment: true }));
  s.handle(create({ key: 'k', end: 'l', rev: 1 }));
  r.sched.runDue();
  s.flush();
  const rs = out.take().filter((x) => !x.created);
  const frag = rs.filter((x) => x.watch_id === '0');
  const whole = rs.filter((x) => x.watch_id === '1');
  assert.equal(whole.length, 1);
  assert.equal(whole[0]!.events.length, 10);
  assert.ok(frag.length > 1);
  assert.deepEqual(
    frag.map((x) => x.fragment === true),
    [...frag.slice(1).map(() => true), false],
  );
  assert.equal(frag.flatMap((x) => x.events).length, 10);
  for (const f of frag) assert.ok(f.events.length >= 1);
});

test('close cancels every watcher of the stream', () => {
  const r = new Rig();
  const { s } = r.stream();
  s.handle(create({ key: 'a' }));
  s.handle(create({ key: 'b', rev: 1 }));
  assert.equal(r.hub.watcherCount, 2);
  s.close();
  assert.equal(r.hub.watcherCount, 0);
  r.sched.runDue();
});

test('control-response backpressure pauses reading', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  out.accepting = false;
  for (let i = 0; i < 20; i++) s.handle(create({ key: 'k' + i }));
  assert.equal(out.reading, false);
  s.flush();
  for (let i = 0; i < 30 && !out.reading; i++) out.drain();
  assert.equal(out.reading, true);
});

test('a compaction does not drop events already owed to a synced watcher (prev_kv included)', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', prevKv: true }));
  s.flush();
  out.take();
  out.accepting = false;
  s.flush();
  r.put('k', '1');
  r.put('k', '2');
  r.put('k', '3');
  r.store.compact(r.store.currentRevision);
  out.drain();
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=2 PUT k@2=1', 'id=0 rev=3 PUT k@3=2 prev=1@2', 'id=0 rev=4 PUT k@4=3 prev=2@3']);
});

test('restore: synced watchers catch up from the history, without duplicates', () => {
  const r = new Rig();
  const { s, out } = r.stream();
  s.handle(create({ key: 'k' }));
  r.put('k', '1');
  // Writes the hub never hears about (as if they came in a snapshot), then a restore.
  r.store.put({ key: Buffer.from('k'), value: Buffer.from('2') });
  r.store.put({ key: Buffer.from('k'), value: Buffer.from('3') });
  r.hub.restore();
  r.sched.runDue();
  r.put('k', '4');
  s.flush();
  assert.deepEqual(view(out.take()), [
    'id=0 rev=1 created',
    'id=0 rev=2 PUT k@2=1',
    'id=0 rev=4 PUT k@3=2 PUT k@4=3',
    'id=0 rev=5 PUT k@5=4',
  ]);
});

test('prev_kv of replayed events is read when the watcher is handed them, not when the stream is flushed (a compaction in between)', () => {
  const r = new Rig();
  r.put('k', '1'); // 2
  r.put('k', '2'); // 3
  r.put('k', '3'); // 4
  const { s, out } = r.stream();
  s.handle(create({ key: 'k', rev: 3, prevKv: true }));
  s.flush();
  out.take();
  r.hub.syncWatchers(); // the watcher is handed revisions 3..4; the flush waits in the queue
  r.store.compact(4); // revisions 2 and 3 are gone now
  r.sched.runDue();
  s.flush();
  assert.deepEqual(view(out.take()), ['id=0 rev=4 PUT k@3=2 prev=1@2 PUT k@4=3 prev=2@3']);
});

test('fan-out is deferred: a write is applied (and answered) before its watchers are handed the events', () => {
  const r = new Rig();
  r.deferFanout = true;
  const { s, out } = r.stream();
  s.handle(create({ key: 'k' }));
  s.flush();
  out.take();
  r.put('k', '1'); // 2
  r.put('k', '2'); // 3
  s.flush();
  assert.deepEqual(view(out.take()), [], 'nothing is handed over inside the write');
  assert.equal(r.hub.pendingRevisions, 2);
  r.sched.runDue();
  assert.equal(r.hub.pendingRevisions, 0);
  assert.deepEqual(view(out.take()), ['id=0 rev=2 PUT k@2=1', 'id=0 rev=3 PUT k@3=2']);
});

test('deferred fan-out: a watcher created, a progress request and a restore first finish what is queued', () => {
  const r = new Rig();
  r.deferFanout = true;
  const { s, out } = r.stream();
  s.handle(create({ key: 'k' }));
  r.put('k', '1'); // 2, queued
  // A new watcher starts at current + 1 = 3: it must not get revision 2, and the first
  // watcher must have been handed revision 2 before it is considered synced at 2.
  s.handle(create({ key: 'k' }));
  assert.equal(r.hub.pendingRevisions, 0);
  r.put('k', '2'); // 3, queued
  s.handle(progress());
  r.put('k', '3'); // 4, queued
  r.hub.restore();
  r.sched.runDue();
  assert.deepEqual(view(out.take()), [
    'id=0 rev=1 created',
    'id=0 rev=2 PUT k@2=1',
    'id=1 rev=2 created',
    'id=0 rev=3 PUT k@3=2',
    'id=1 rev=3 PUT k@3=2',
    'id=-1 rev=3',
    'id=0 rev=4 PUT k@4=3',
    'id=1 rev=4 PUT k@4=3',
  ]);
});

test('deferred fan-out yields after its budget, between revisions, never inside one', () => {
  const r = new Rig({ fanoutBudget: 2 });
  r.deferFanout = true;
  const { s, out } = r.stream();
  for (let i = 0; i < 3; i++) s.handle(create({ key: 'k' }));
  r.put('k', '1'); // 2: 3 deliveries, over the budget of 2
  r.put('k', '2'); // 3
  r.sched.runOnce();
  assert.equal(r.hub.pendingRevisions, 1, 'revision 2 whole, revision 3 in the next macrotask');
  r.sched.runDue();
  assert.equal(r.hub.pendingRevisions, 0);
  const got = view(out.take()).filter((l) => !l.includes('created'));
  assert.deepEqual(got.filter((l) => l.includes('rev=2')).length, 3);
  assert.deepEqual(got.filter((l) => l.includes('rev=3')).length, 3);
  const revs = got.map((l) => Number(/rev=(\d+)/.exec(l)![1]));
  assert.deepEqual(revs, [2, 2, 2, 3, 3, 3]);
});
