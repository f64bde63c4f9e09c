import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import type { Event } from '../../src/mvcc';
import { b, freshStore, plain } from './helpers';

const view = (evs: Event[]): unknown => evs.map((e) => ({ type: e.type, kv: plain(e.kv), prev: plain(e.prev_kv) }));

test('events(from, to) replays the write events from the engine', () => {
  const { store } = freshStore({ leaseExists: () => true });
  const live: Event[] = [];
  live.push(...store.put({ key: b('a'), value: b('1') }).events); // 2
  live.push(...store.put({ key: b('a'), value: b('2'), lease: 4n }).events); // 3
  live.push(...store.txn({ success: [{ request_put: { key: b('b'), value: b('x') } }, { request_delete_range: { key: b('a') } }] }).events); // 4
  live.push(...store.deleteRange({ key: b('b') }).events); // 5
  assert.ok(live.every((e) => e.prev_kv === undefined));
  // history fills prev_kv with the key's value at revision-1, as etcd's watch server does
  for (const e of live) e.prev_kv = store.range({ key: e.kv.key, revision: e.kv.mod_revision - 1 }).kvs[0];
  assert.deepEqual(
    live.map((e) => e.prev_kv?.value.toString() ?? null),
    [null, '1', null, '2', 'x'],
  );
  assert.deepEqual(view(store.events(1)), view(live));
  assert.deepEqual(view(store.events(3, 4)), view(live.slice(1, 4)));
  assert.deepEqual(store.events(6), []);
  assert.deepEqual(view(store.events(5, 99)), view(live.slice(4)));
  store.compact(3);
  assert.throws(
    () => store.events(2),
    (e) => isEtcdError(e, 'Compacted'),
  );
  // at the compact revision itself the event is there, without prev_kv (revision 2 is compacted)
  const at3 = store.events(3);
  assert.equal(at3.length, 4);
  assert.equal(at3[0]!.prev_kv, undefined);
  assert.deepEqual(view(at3.slice(1)), view(live.slice(2)));
});

test('forEachLiveLease lists live keys and their leases in key order', () => {
  const { store } = freshStore({ leaseExists: () => true });
  store.put({ key: b('b'), value: b('1'), lease: 9n });
  store.put({ key: b('a'), value: b('2') });
  store.put({ key: b('c'), value: b('3') });
  store.deleteRange({ key: b('c') });
  const seen: [string, bigint][] = [];
  store.forEachLiveLease((k, lease) => seen.push([k, lease]));
  assert.deepEqual(seen, [
    ['a', 0n],
    ['b', 9n],
  ]);
});

test('lease ids tolerate numbers and strings and are stored as signed 64-bit', () => {
  const { store } = freshStore({ leaseExists: () => true });
  store.put({ key: b('a'), value: b('1'), lease: 5 as unknown as bigint });
  assert.equal(store.range({ key: b('a') }).kvs[0]!.lease, 5n);
  store.put({ key: b('a'), value: b('1'), lease: '7' as unknown as bigint });
  assert.equal(store.range({ key: b('a') }).kvs[0]!.lease, 7n);
  store.put({ key: b('a'), value: b('1'), lease: 0 as unknown as bigint });
  assert.equal(store.range({ key: b('a') }).kvs[0]!.lease, 0n);
});

test('plain Uint8Array keys and values are accepted', () => {
  const { store } = freshStore();
  store.put({ key: new Uint8Array([0x61, 0x62]) as Buffer, value: new Uint8Array([0x7a]) as Buffer });
  const kv = store.range({ key: b('ab') }).kvs[0]!;
  assert.equal(kv.value.toString(), 'z');
  assert.equal(store.range({ key: new Uint8Array([0x61]) as Buffer, range_end: new Uint8Array([0x62, 0x00]) as Buffer }).count, 1);
});
