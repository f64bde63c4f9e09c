import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import { MemoryEngine, MvccStore } from '../../src/mvcc';
import { encodeRecord, encodeTombstone } from '../../src/mvcc/codec';
import { b, freshStore, keys, plain, putAll } from './helpers';

test('put: prev_kv, identical value still bumps revision and version', () => {
  const { store } = freshStore();
  const r1 = store.put({ key: b('k'), value: b('v'), prev_kv: true });
  assert.equal(r1.response.prev_kv, undefined);
  const r2 = store.put({ key: b('k'), value: b('v'), prev_kv: true });
  assert.equal(r2.response.revision, 3);
  assert.deepEqual(plain(r2.response.prev_kv), { key: 'k', create_revision: 2, mod_revision: 2, version: 1, value: 'v', lease: 0n });
  assert.equal(store.range({ key: b('k') }).kvs[0]!.version, 2);
  const r3 = store.put({ key: b('k'), value: b('w') });
  assert.equal(r3.response.prev_kv, undefined);
});

test('put events carry kv and the previous lease, never a prev_kv (no value is read)', () => {
  const { store } = freshStore();
  const e1 = store.put({ key: b('k'), value: b('v') }).events;
  assert.equal(e1.length, 1);
  assert.equal(e1[0]!.type, 'PUT');
  assert.equal(e1[0]!.prev_kv, undefined);
  assert.equal(e1[0]!.prev_lease, undefined);
  const e2 = store.put({ key: b('k'), value: b('w') }).events;
  assert.equal(e2[0]!.prev_kv, undefined);
  assert.equal(e2[0]!.prev_lease, 0n);
  assert.equal(e2[0]!.kv.value.toString(), 'w');
  assert.equal(e2[0]!.kv.version, 2);
  assert.equal(e2[0]!.kv.create_revision, 2);
});

test('writes read no value unless the request returns one', () => {
  const engine = new MemoryEngine();
  const store = new MvccStore(engine, { leaseExists: () => true });
  store.put({ key: b('a'), value: b('1'), lease: 3n });
  store.put({ key: b('b'), value: b('2') });
  const get = engine.get.bind(engine);
  const getRevision = engine.getRevision.bind(engine);
  let reads = 0;
  engine.get = (k) => {
    reads++;
    return get(k);
  };
  engine.getRevision = (main, sub) => {
    reads++;
    return getRevision(main, sub);
  };
  store.put({ key: b('a'), value: b('3') });
  store.deleteRange({ key: b('b') });
  store.deleteKeys([b('a')]);
  store.txn({ success: [{ request_put: { key: b('c'), value: b('4') } }, { request_delete_range: { key: b('c') } }] });
  assert.equal(reads, 0);
  assert.equal(store.put({ key: b('d'), value: b('5') }).response.prev_kv, undefined);
  store.put({ key: b('d'), value: b('6'), prev_kv: true });
  assert.equal(reads, 1);
  store.deleteRange({ key: b('d'), prev_kv: true });
  assert.equal(reads, 2);
});

test('put: lease must exist (hook); absent hook = no lease exists; nothing changes on error', () => {
  const { store } = freshStore();
  assert.throws(
    () => store.put({ key: b('k'), value: b('v'), lease: 5n }),
    (e) => isEtcdError(e, 'LeaseNotFound'),
  );
  assert.equal(store.currentRevision, 1);
  const leases = new Set([5n, 0x7fffffffffffffffn]);
  const s2 = freshStore({ leaseExists: (id) => leases.has(id) }).store;
  s2.put({ key: b('k'), value: b('v'), lease: 0x7fffffffffffffffn });
  assert.equal(s2.range({ key: b('k') }).kvs[0]!.lease, 0x7fffffffffffffffn);
  // a put without ignore_lease detaches the lease
  const ev = s2.put({ key: b('k'), value: b('w') }).events[0]!;
  assert.equal(ev.kv.lease, 0n);
  assert.equal(ev.prev_lease, 0x7fffffffffffffffn);
});

test('put: ignore_value / ignore_lease reuse current value / lease; missing key -> KeyNotFound', () => {
  const { store, engine } = freshStore({ leaseExists: () => true });
  assert.throws(
    () => store.put({ key: b('k'), ignore_value: true }),
    (e) => isEtcdError(e, 'KeyNotFound'),
  );
  assert.throws(
    () => store.put({ key: b('k'), value: b('x'), ignore_lease: true }),
    (e) => isEtcdError(e, 'KeyNotFound'),
  );
  assert.equal(store.currentRevision, 1);
  assert.equal(engine.size, 0);
  store.put({ key: b('k'), value: b('v'), lease: 9n });
  store.put({ key: b('k'), ignore_value: true, lease: 10n });
  assert.deepEqual(plain(store.range({ key: b('k') }).kvs[0]), {
    key: 'k',
    create_revision: 2,
    mod_revision: 3,
    version: 2,
    value: 'v',
    lease: 10n,
  });
  store.put({ key: b('k'), value: b('z'), ignore_lease: true });
  assert.deepEqual(plain(store.range({ key: b('k') }).kvs[0]), {
    key: 'k',
    create_revision: 2,
    mod_revision: 4,
    version: 3,
    value: 'z',
    lease: 10n,
  });
});

test('put copies the request buffers', () => {
  const { store } = freshStore();
  const key = b('k');
  const value = b('v');
  store.put({ key, value });
  key[0] = 0x6a;
  value[0] = 0x77;
  assert.equal(store.range({ key: b('k') }).kvs[0]!.value.toString(), 'v');
});

test('deleteRange: deleted count, prev_kvs, one revision, events; nothing deleted -> no bump', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', b: '2', c: '3' });
  const none = store.deleteRange({ key: b('x'), prev_kv: true });
  assert.deepEqual(none.response, { revision: 4, deleted: 0, prev_kvs: [] });
  assert.deepEqual(none.events, []);
  assert.equal(store.currentRevision, 4);
  const r = store.deleteRange({ key: b('a'), range_end: b('c'), prev_kv: true });
  assert.equal(r.response.revision, 5);
  assert.equal(r.response.deleted, 2);
  assert.deepEqual(keys(r.response.prev_kvs), ['a', 'b']);
  assert.equal(r.events.length, 2);
  for (const ev of r.events) {
    assert.equal(ev.type, 'DELETE');
    assert.equal(ev.kv.mod_revision, 5);
    assert.equal(ev.kv.create_revision, 0);
    assert.equal(ev.kv.version, 0);
    assert.equal(ev.kv.value.length, 0);
    assert.equal(ev.kv.lease, 0n);
  }
  assert.equal(r.events[0]!.prev_kv, undefined);
  assert.equal(r.events[0]!.prev_lease, 0n);
  assert.deepEqual(keys(store.range({ key: b('a'), range_end: b('\0') }).kvs), ['c']);
  const noPrev = store.deleteRange({ key: b('c') });
  assert.deepEqual(noPrev.response.prev_kvs, []);
  assert.equal(store.keyCount, 0);
});

test('put after delete starts a new generation (version 1, new create_revision)', () => {
  const { store } = freshStore();
  store.put({ key: b('k'), value: b('1') });
  store.put({ key: b('k'), value: b('2') });
  store.deleteRange({ key: b('k') });
  store.put({ key: b('k'), value: b('3') });
  assert.deepEqual(plain(store.range({ key: b('k') }).kvs[0]), {
    key: 'k',
    create_revision: 5,
    mod_revision: 5,
    version: 1,
    value: '3',
    lease: 0n,
  });
});

test('deleteKeys: one revision for several exact keys; missing keys skipped', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', b: '2', c: '3' });
  const r = store.deleteKeys([b('a'), b('zz'), b('c'), b('a')]);
  assert.equal(r.response.revision, 5);
  assert.equal(r.response.deleted, 2);
  assert.deepEqual(
    r.events.map((e) => [e.type, e.kv.key.toString(), e.kv.mod_revision]),
    [
      ['DELETE', 'a', 5],
      ['DELETE', 'c', 5],
    ],
  );
  const none = store.deleteKeys([b('a')]);
  assert.equal(none.response.revision, 5);
  assert.deepEqual(none.events, []);
  assert.equal(store.keyCount, 1);
});

test('keyCount follows live keys', () => {
  const { store } = freshStore();
  putAll(store, { a: '1', b: '2' });
  store.put({ key: b('a'), value: b('3') });
  assert.equal(store.keyCount, 2);
  store.deleteRange({ key: b('a') });
  assert.equal(store.keyCount, 1);
});

test('a tombstone record is the generic encoding of a deleted KeyValue, and its key view is the key', () => {
  for (const key of ['', 'k', 'x'.repeat(127), 'y'.repeat(128), '\u00ff\u0000a'.repeat(300)]) {
    for (const mod of [1, 127, 128, 300, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const { rec, key: view } = encodeTombstone(key, mod);
      const kv = { key: Buffer.from(key, 'latin1'), create_revision: 0, mod_revision: mod, version: 0, value: Buffer.alloc(0), lease: 0n };
      assert.deepEqual(rec, encodeRecord(kv, true));
      assert.deepEqual(view, kv.key);
      assert.equal(view.buffer, rec.buffer);
    }
  }
});
