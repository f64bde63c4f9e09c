import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import { MemoryEngine, MvccStore } from '../../src/mvcc';
import { crc32c } from '../../src/encoding/crc32c';
import { b, freshStore, keys, plain } from './helpers';

test('compact: FutureRev, Compacted (<= compactRev), revision unchanged', () => {
  const { store } = freshStore();
  store.put({ key: b('a'), value: b('1') }); // 2
  store.put({ key: b('a'), value: b('2') }); // 3
  assert.equal(store.compactRevision, -1);
  assert.throws(
    () => store.compact(4),
    (e) => isEtcdError(e, 'FutureRev'),
  );
  store.compact(2);
  assert.equal(store.compactRevision, 2);
  assert.equal(store.currentRevision, 3);
  assert.throws(
    () => store.compact(2),
    (e) => isEtcdError(e, 'Compacted'),
  );
  assert.throws(
    () => store.compact(1),
    (e) => isEtcdError(e, 'Compacted'),
  );
  store.compact(3);
  assert.equal(store.currentRevision, 3);
});

test('compact keeps the latest revision <= rev of live keys and drops old generations physically', () => {
  const { store, engine } = freshStore();
  store.put({ key: b('a'), value: b('1') }); // 2
  store.put({ key: b('a'), value: b('2') }); // 3
  store.put({ key: b('b'), value: b('1') }); // 4
  store.deleteRange({ key: b('b') }); // 5
  store.put({ key: b('a'), value: b('3') }); // 6
  store.put({ key: b('c'), value: b('1') }); // 7
  store.deleteRange({ key: b('c') }); // 8
  assert.equal(engine.size, 7);
  store.compact(6);
  // kept: a@6 (a@2,a@3 dropped), b entirely dropped (tombstone 5 < 6), c@7 and its tombstone 8 kept
  assert.deepEqual([...engine.scan('r/', 'r0')].length, 3);
  assert.equal(store.range({ key: b('a'), revision: 6 }).kvs[0]!.value.toString(), '3');
  assert.deepEqual(store.range({ key: b('b'), revision: 6 }).kvs, []);
  assert.equal(store.range({ key: b('c'), revision: 7 }).kvs[0]!.value.toString(), '1');
  assert.deepEqual(keys(store.range({ key: b('a'), range_end: b('\0') }).kvs), ['a']);
  // a tombstone exactly at the compact revision is kept until the next compaction
  store.compact(8);
  assert.deepEqual([...engine.scan('r/', 'r0')].length, 2);
  store.put({ key: b('d'), value: b('1') }); // 9
  store.compact(9);
  assert.deepEqual([...engine.scan('r/', 'r0')].length, 2); // a@6, d@9
  assert.equal(store.keyCount, 2);
});

test('compaction keeps values readable at the compact revision', () => {
  const { store } = freshStore();
  for (let i = 0; i < 10; i++) store.put({ key: b(`k${i % 3}`), value: b(String(i)) });
  const at = 7;
  const before = store.range({ key: b('k'), range_end: b('l'), revision: at }).kvs.map(plain);
  store.compact(at);
  assert.deepEqual(store.range({ key: b('k'), range_end: b('l'), revision: at }).kvs.map(plain), before);
});

test('restore from the engine: index, revisions, compact revision, versions', () => {
  const engine = new MemoryEngine();
  const s1 = new MvccStore(engine);
  s1.put({ key: b('a'), value: b('1') }); // 2
  s1.put({ key: b('a'), value: b('2') }); // 3
  s1.put({ key: b('b'), value: b('1') }); // 4
  s1.deleteRange({ key: b('b') }); // 5
  s1.compact(5);
  s1.put({ key: b('a'), value: b('3') }); // 6
  const s2 = new MvccStore(engine);
  assert.equal(s2.currentRevision, 6);
  assert.equal(s2.compactRevision, 5);
  assert.equal(s2.keyCount, 1);
  assert.deepEqual(plain(s2.range({ key: b('a') }).kvs[0]), {
    key: 'a',
    create_revision: 2,
    mod_revision: 6,
    version: 3,
    value: '3',
    lease: 0n,
  });
  assert.equal(s2.range({ key: b('a'), revision: 5 }).kvs[0]!.version, 2);
  assert.equal(s2.put({ key: b('a'), value: b('4') }).response.revision, 7);
  assert.equal(s2.range({ key: b('a') }).kvs[0]!.version, 4);
  assert.equal(s2.put({ key: b('b'), value: b('x') }).response.revision, 8);
  assert.equal(s2.range({ key: b('b') }).kvs[0]!.version, 1);
});

test('restore: current revision is at least the compact revision', () => {
  const engine = new MemoryEngine();
  const s1 = new MvccStore(engine);
  s1.put({ key: b('a'), value: b('1') }); // 2
  s1.deleteRange({ key: b('a') }); // 3
  s1.put({ key: b('b'), value: b('1') }); // 4
  s1.deleteRange({ key: b('b') }); // 5
  s1.compact(5);
  const s2 = new MvccStore(engine);
  assert.equal(s2.currentRevision, 5);
  assert.equal(s2.keyCount, 0);
  assert.equal(s2.hashKV(0).hash, s1.hashKV(0).hash);
  const fresh = new MemoryEngine();
  new MvccStore(fresh).compact(1);
  const s3 = new MvccStore(fresh);
  assert.equal(s3.currentRevision, 1);
  assert.equal(s3.compactRevision, 1);
});

test('crc32c matches the standard check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.from('56789'), crc32c(Buffer.from('1234'))), 0xe3069283);
});

test('hashKV: deterministic across members, rev 0 = current, errors', () => {
  const run = (): MvccStore => {
    const { store } = freshStore();
    for (let i = 0; i < 20; i++) store.put({ key: b(`k${i % 4}`), value: b(`v${i}`) });
    store.deleteRange({ key: b('k1') });
    return store;
  };
  const s1 = run();
  const s2 = run();
  const h = s1.hashKV(0);
  assert.equal(h.hashRevision, 22);
  assert.equal(h.compactRevision, -1);
  assert.ok(Number.isInteger(h.hash) && h.hash >= 0 && h.hash < 2 ** 32);
  assert.deepEqual(s2.hashKV(0), h);
  assert.deepEqual(s1.hashKV(22), h);
  assert.notEqual(s1.hashKV(10).hash, h.hash);
  assert.throws(
    () => s1.hashKV(23),
    (e) => isEtcdError(e, 'FutureRev'),
  );
  s1.compact(10);
  assert.throws(
    () => s1.hashKV(9),
    (e) => isEtcdError(e, 'Compacted'),
  );
  assert.equal(s1.hashKV(0).compactRevision, 10);
  // a member that compacted at the same revision has the same hash
  s2.compact(10);
  assert.deepEqual(s2.hashKV(0), s1.hashKV(0));
  assert.deepEqual(s2.hashKV(15), s1.hashKV(15));
  // a different history gives a different hash
  const s3 = run();
  s3.put({ key: b('x'), value: b('y') });
  assert.notEqual(s3.hashKV(0).hash, run().hashKV(0).hash);
});

test('crc32c slicing-by-8 equals the bytewise definition at every length and split', () => {
  const bytewise = (d: Uint8Array): number => {
    let c = 0xffffffff;
    for (const x of d) {
      c ^= x;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    }
    return ~c >>> 0;
  };
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 73 + 11) & 0xff));
  for (let n = 0; n <= data.length; n++) {
    const d = data.subarray(0, n);
    assert.equal(crc32c(d), bytewise(d), `length ${n}`);
    const cut = n >> 1;
    assert.equal(crc32c(d.subarray(cut), crc32c(d.subarray(0, cut))), bytewise(d), `split ${n}`);
  }
});

/** A store with history: puts, overwrites, deletes of the same keys over `n` revisions (seeded). */
function withHistory(seed: number, n: number): { store: MvccStore; engine: MemoryEngine } {
  const { store, engine } = freshStore();
  let s = seed;
  const rnd = (m: number): number => (s = (s * 48271) % 2147483647) % m;
  for (let i = 0; i < n; i++) {
    const k = b(`k${rnd(40)}`);
    if (rnd(5) === 0) store.deleteRange({ key: k });
    else store.put({ key: k, value: b(`v${i}`) });
  }
  return { store, engine };
}

const recordsOf = (e: MemoryEngine): string[] => [...e.scan('', '\uffff')].map(([k]) => k);

test('a deferred compaction answers like an immediate one, deletes in steps, and is finished after a reopen', () => {
  const seed = 20261205;
  console.log(`deferred compaction seed ${seed}`);
  const now = withHistory(seed, 400);
  const later = withHistory(seed, 400);
  const at = 250;
  now.store.compact(at);
  later.store.compact(at, true);
  const all = { key: b('\0'), range_end: b('\0') };
  assert.deepEqual(later.store.range(all), now.store.range(all));
  assert.deepEqual(later.store.range({ ...all, revision: at }), now.store.range({ ...all, revision: at }));
  assert.throws(
    () => later.store.range({ ...all, revision: at - 1 }),
    (e) => isEtcdError(e, 'Compacted'),
  );
  assert.deepEqual(later.store.hashKV(0), now.store.hashKV(0));
  assert.deepEqual(later.store.events(at), now.store.events(at));
  const backlog = later.store.compactionBacklog;
  assert.ok(backlog > 20, `backlog ${backlog}`);
  assert.ok(later.engine.get('m/compacting') !== undefined);
  // Part of the work done, writes in between: reads and the hash are the same at every step.
  for (let i = 0; i < 3; i++) {
    later.store.compactStep(7);
    for (const s of [now.store, later.store]) {
      s.put({ key: b(`k${i * 7}`), value: b(`w${i}`) });
      s.deleteRange({ key: b(`k${i * 7 + 1}`) });
    }
    assert.deepEqual(later.store.events(at), now.store.events(at));
    assert.deepEqual(later.store.hashKV(0), now.store.hashKV(0));
    assert.deepEqual(later.store.range({ ...all, revision: at }), now.store.range({ ...all, revision: at }));
  }
  // Reopened with the work half done: the store finds the revisions to drop again.
  const reopened = new MvccStore(later.engine);
  assert.ok(reopened.compactionBacklog > 0);
  assert.deepEqual(reopened.hashKV(0), now.store.hashKV(0));
  while (reopened.compactStep(7) > 0);
  assert.equal(later.engine.get('m/compacting'), undefined);
  assert.deepEqual(recordsOf(later.engine), recordsOf(now.engine));
  assert.deepEqual(reopened.range(all), now.store.range(all));
});
