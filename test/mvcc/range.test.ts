import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import { b, freshStore, keys, plain, putAll } from './helpers';

test('fresh store has revision 1; first put returns 2', () => {
  const { store } = freshStore();
  assert.equal(store.currentRevision, 1);
  assert.equal(store.put({ key: b('a'), value: b('1') }).response.revision, 2);
  assert.equal(store.currentRevision, 2);
});

test('range_end conventions: single key, "\\0" = all >= key, prefix end, end <= key is empty', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', ab: '2', b: '3', c: '4' });
  assert.deepEqual(keys(store.range({ key: b('a') }).kvs), ['a']);
  assert.deepEqual(keys(store.range({ key: b('ab'), range_end: b('\0') }).kvs), ['ab', 'b', 'c']);
  assert.deepEqual(keys(store.range({ key: b('\0'), range_end: b('\0') }).kvs), ['a', 'ab', 'b', 'c']);
  assert.deepEqual(keys(store.range({ key: b('a'), range_end: b('b') }).kvs), ['a', 'ab']);
  assert.deepEqual(store.range({ key: b('b'), range_end: b('a') }).kvs, []);
  assert.deepEqual(store.range({ key: b('b'), range_end: b('b') }).kvs, []);
  assert.deepEqual(store.range({ key: b('zz') }).kvs, []);
});

test('keys compare as unsigned bytes, not UTF-16', () => {
  const { store } = freshStore();
  store.put({ key: Buffer.from([0xff]), value: b('hi') });
  store.put({ key: Buffer.from([0x7f]), value: b('lo') });
  store.put({ key: Buffer.from([0xc3, 0xa9]), value: b('mid') }); // "é" in UTF-8
  const r = store.range({ key: Buffer.from([0]), range_end: b('\0') });
  assert.deepEqual(
    r.kvs.map((kv) => [...kv.key]),
    [[0x7f], [0xc3, 0xa9], [0xff]],
  );
  const r2 = store.range({ key: Buffer.from([0x80]), range_end: Buffer.from([0xff]) });
  assert.deepEqual(
    r2.kvs.map((kv) => [...kv.key]),
    [[0xc3, 0xa9]],
  );
});

test('KeyValue fields: create/mod revision, version, lease', () => {
  const { store } = freshStore({ leaseExists: (id) => id === 7n });
  store.put({ key: b('k'), value: b('v1') });
  store.put({ key: b('k'), value: b('v1'), lease: 7n });
  const kv = store.range({ key: b('k') }).kvs[0];
  assert.deepEqual(plain(kv), { key: 'k', create_revision: 2, mod_revision: 3, version: 2, value: 'v1', lease: 7n });
});

test('limit / more / count, including the limit+1 fetch and the sort NONE quirk', () => {
  const { store } = freshStore();
  putAll(store, { a: '3', b: '2', c: '1', d: '0' });
  let r = store.range({ key: b('a'), range_end: b('\0'), limit: 2 });
  assert.deepEqual(keys(r.kvs), ['a', 'b']);
  assert.equal(r.more, true);
  assert.equal(r.count, 4);
  r = store.range({ key: b('a'), range_end: b('\0'), limit: 4 });
  assert.equal(r.more, false);
  r = store.range({ key: b('a'), range_end: b('\0'), limit: -1 });
  assert.equal(r.kvs.length, 4);
  // sort target VALUE with order NONE: only the first limit+1 keys (a,b,c) are fetched, sorted ascending by value.
  r = store.range({ key: b('a'), range_end: b('\0'), limit: 2, sort_target: 'VALUE' });
  assert.deepEqual(keys(r.kvs), ['c', 'b']);
  assert.equal(r.more, true);
  // with an explicit ASCEND everything is fetched first.
  r = store.range({ key: b('a'), range_end: b('\0'), limit: 2, sort_target: 'VALUE', sort_order: 'ASCEND' });
  assert.deepEqual(keys(r.kvs), ['d', 'c']);
});

test('sort orders and targets', () => {
  const { store } = freshStore();
  putAll(store, { b: 'x', a: 'z', c: 'y' });
  store.put({ key: b('a'), value: b('z') });
  const all = { key: b('a'), range_end: b('\0') };
  assert.deepEqual(keys(store.range({ ...all, sort_order: 'DESCEND' }).kvs), ['c', 'b', 'a']);
  assert.deepEqual(keys(store.range({ ...all, sort_order: 'ASCEND', sort_target: 'VALUE' }).kvs), ['b', 'c', 'a']);
  assert.deepEqual(keys(store.range({ ...all, sort_order: 'DESCEND', sort_target: 'MOD' }).kvs), ['a', 'c', 'b']);
  assert.deepEqual(keys(store.range({ ...all, sort_order: 'ASCEND', sort_target: 'CREATE' }).kvs), ['b', 'a', 'c']);
  assert.deepEqual(keys(store.range({ ...all, sort_order: 'DESCEND', sort_target: 'VERSION' }).kvs)[0], 'a');
  assert.deepEqual(keys(store.range({ ...all, sort_target: 'MOD' }).kvs), ['b', 'c', 'a']);
  assert.deepEqual(keys(store.range({ ...all, sort_order: 2, sort_target: 0 }).kvs), ['c', 'b', 'a']);
});

test('keys_only clears values; count_only returns only count', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', b: '2' });
  const r = store.range({ key: b('a'), range_end: b('\0'), keys_only: true });
  assert.deepEqual(
    r.kvs.map((kv) => kv.value.length),
    [0, 0],
  );
  assert.equal(r.kvs[0]!.version, 1);
  // the cache is untouched
  assert.equal(store.range({ key: b('a') }).kvs[0]!.value.toString(), '1');
  const c = store.range({ key: b('a'), range_end: b('\0'), count_only: true, limit: 1 });
  assert.deepEqual(c.kvs, []);
  assert.equal(c.count, 2);
  assert.equal(c.more, false);
});

test('min/max mod/create filters do not change count; more reflects the filtered set', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', b: '2', c: '3', d: '4' }); // revs 2..5
  store.put({ key: b('a'), value: b('x') }); // a mod 6
  const all = { key: b('a'), range_end: b('\0') };
  let r = store.range({ ...all, min_mod_revision: 4 });
  assert.deepEqual(keys(r.kvs), ['a', 'c', 'd']);
  assert.equal(r.count, 4);
  r = store.range({ ...all, max_mod_revision: 4 });
  assert.deepEqual(keys(r.kvs), ['b', 'c']);
  r = store.range({ ...all, min_create_revision: 3, max_create_revision: 4 });
  assert.deepEqual(keys(r.kvs), ['b', 'c']);
  r = store.range({ ...all, min_mod_revision: 4, limit: 2 });
  assert.deepEqual(keys(r.kvs), ['a', 'c']);
  assert.equal(r.more, true);
  r = store.range({ ...all, min_mod_revision: 4, limit: 3 });
  assert.equal(r.more, false);
});

test('reads at past revisions; FutureRev; Compacted; == compactRev ok; response revision is current', () => {
  const { store } = freshStore();
  store.put({ key: b('a'), value: b('1') }); // 2
  store.put({ key: b('a'), value: b('2') }); // 3
  store.deleteRange({ key: b('a') }); // 4
  store.put({ key: b('a'), value: b('3') }); // 5
  assert.deepEqual(plain(store.range({ key: b('a'), revision: 2 }).kvs[0]), {
    key: 'a',
    create_revision: 2,
    mod_revision: 2,
    version: 1,
    value: '1',
    lease: 0n,
  });
  assert.equal(store.range({ key: b('a'), revision: 3 }).kvs[0]!.value.toString(), '2');
  assert.deepEqual(store.range({ key: b('a'), revision: 4 }).kvs, []);
  assert.equal(store.range({ key: b('a'), revision: 1 }).kvs.length, 0);
  const r = store.range({ key: b('a'), revision: 5 });
  assert.equal(r.kvs[0]!.version, 1);
  assert.equal(r.kvs[0]!.create_revision, 5);
  assert.equal(store.range({ key: b('a'), revision: 2 }).revision, 5);
  assert.throws(
    () => store.range({ key: b('a'), revision: 6 }),
    (e) => isEtcdError(e, 'FutureRev'),
  );
  store.compact(3);
  assert.throws(
    () => store.range({ key: b('a'), revision: 2 }),
    (e) => isEtcdError(e, 'Compacted'),
  );
  assert.equal(store.range({ key: b('a'), revision: 3 }).kvs[0]!.value.toString(), '2');
  assert.equal(store.range({ key: b('a'), revision: -3 }).kvs[0]!.value.toString(), '3');
});
