import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import type { Compare, RequestOp, TxnRequest } from '../../src/mvcc';
import { b, freshStore, keys, putAll } from './helpers';

const put = (k: string, v: string, extra: object = {}): RequestOp => ({
  request: 'request_put',
  request_put: { key: b(k), value: b(v), ...extra },
});
const get = (k: string, extra: object = {}): RequestOp => ({ request: 'request_range', request_range: { key: b(k), ...extra } });
const del = (k: string, end?: string): RequestOp => ({
  request: 'request_delete_range',
  request_delete_range: end === undefined ? { key: b(k) } : { key: b(k), range_end: b(end) },
});
const txnOp = (t: TxnRequest): RequestOp => ({ request: 'request_txn', request_txn: t });

function cmp(k: string, target: Compare['target'], result: Compare['result'], v: number | string | bigint, end?: string): Compare {
  const c: Compare = { key: b(k), target, result };
  if (end !== undefined) c.range_end = b(end);
  switch (target) {
    case 'VALUE':
      c.value = b(String(v));
      c.target_union = 'value';
      break;
    case 'VERSION':
      c.version = Number(v);
      c.target_union = 'version';
      break;
    case 'CREATE':
      c.create_revision = Number(v);
      c.target_union = 'create_revision';
      break;
    case 'MOD':
      c.mod_revision = Number(v);
      c.target_union = 'mod_revision';
      break;
    case 'LEASE':
      c.lease = BigInt(v);
      c.target_union = 'lease';
      break;
    default:
      break;
  }
  return c;
}

test('one revision for the whole txn; sub revisions in op order; events in op order', () => {
  const { store } = freshStore();
  const r = store.txn({ success: [put('a', '1'), put('b', '2'), put('c', '3')] });
  assert.equal(r.response.revision, 2);
  assert.equal(r.response.succeeded, true);
  assert.deepEqual(
    r.events.map((e) => e.kv.key.toString()),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    r.response.responses.map((x) => x.response_put!.revision),
    [2, 2, 2],
  );
  assert.equal(store.currentRevision, 2);
});

test('empty compare list succeeds; read-only txn bumps nothing', () => {
  const { store } = freshStore();
  putAll(store, { a: '1' });
  const r = store.txn({ success: [get('a')] });
  assert.equal(r.response.succeeded, true);
  assert.equal(r.response.revision, 2);
  assert.deepEqual(r.events, []);
  assert.equal(store.currentRevision, 2);
  assert.equal(r.response.responses[0]!.response_range!.kvs[0]!.value.toString(), '1');
});

test('compare targets and results', () => {
  const { store } = freshStore({ leaseExists: () => true });
  store.put({ key: b('k'), value: b('m'), lease: 3n }); // rev 2
  store.put({ key: b('k'), value: b('m'), lease: 3n }); // rev 3, version 2
  const ok = (c: Compare): boolean => store.txn({ compare: [c] }).response.succeeded;
  assert.equal(ok(cmp('k', 'VALUE', 'EQUAL', 'm')), true);
  assert.equal(ok(cmp('k', 'VALUE', 'GREATER', 'a')), true);
  assert.equal(ok(cmp('k', 'VALUE', 'LESS', 'a')), false);
  assert.equal(ok(cmp('k', 'VALUE', 'NOT_EQUAL', 'm')), false);
  assert.equal(ok(cmp('k', 'VERSION', 'EQUAL', 2)), true);
  assert.equal(ok(cmp('k', 'CREATE', 'EQUAL', 2)), true);
  assert.equal(ok(cmp('k', 'MOD', 'GREATER', 2)), true);
  assert.equal(ok(cmp('k', 'MOD', 'LESS', 3)), false);
  assert.equal(ok(cmp('k', 'LEASE', 'EQUAL', 3n)), true);
  assert.equal(ok(cmp('k', 'LEASE', 'NOT_EQUAL', 0n)), true);
  // numeric enums (proto-loader without enums: String)
  assert.equal(ok({ key: b('k'), target: 0, result: 0, version: 2 }), true);
  // target_union mismatching target: the operand is zero
  assert.equal(ok({ key: b('k'), target: 'VERSION', result: 'GREATER', target_union: 'mod_revision', mod_revision: 100 }), true);
  // no target_union: the member matching target is read
  assert.equal(ok({ key: b('k'), target: 'MOD', result: 'EQUAL', mod_revision: 3 }), true);
});

test('compare on a missing key: VALUE always false, others against zero', () => {
  const { store } = freshStore();
  const ok = (c: Compare): boolean => store.txn({ compare: [c] }).response.succeeded;
  assert.equal(ok(cmp('x', 'VALUE', 'EQUAL', '')), false);
  assert.equal(ok(cmp('x', 'VALUE', 'NOT_EQUAL', 'a')), false);
  assert.equal(ok(cmp('x', 'CREATE', 'EQUAL', 0)), true);
  assert.equal(ok(cmp('x', 'VERSION', 'EQUAL', 0)), true);
  assert.equal(ok(cmp('x', 'MOD', 'EQUAL', 0)), true);
  assert.equal(ok(cmp('x', 'LEASE', 'EQUAL', 0n)), true);
  assert.equal(ok(cmp('x', 'VERSION', 'GREATER', 0)), false);
});

test('compare with range_end: every key must satisfy', () => {
  const { store } = freshStore();
  putAll(store, { a1: '1', a2: '1', a3: '2' });
  const ok = (c: Compare): boolean => store.txn({ compare: [c] }).response.succeeded;
  assert.equal(ok(cmp('a1', 'VALUE', 'EQUAL', '1', 'a3')), true);
  assert.equal(ok(cmp('a1', 'VALUE', 'EQUAL', '1', 'a4')), false);
  assert.equal(ok(cmp('a', 'VERSION', 'EQUAL', 1, '\0')), true);
  assert.equal(ok(cmp('b', 'VALUE', 'EQUAL', '1', 'c')), false);
  assert.equal(ok(cmp('b', 'CREATE', 'EQUAL', 0, 'c')), true);
});

test('failure branch; response kinds; nested txn carries revision 0 and sees pre-txn state', () => {
  const { store } = freshStore();
  putAll(store, { a: '1' }); // rev 2
  const r = store.txn({
    compare: [cmp('a', 'VALUE', 'EQUAL', 'nope')],
    success: [put('s', 's')],
    failure: [
      put('b', '2'),
      del('a'),
      // evaluated against the pre-txn state: a still exists with value 1
      txnOp({ compare: [cmp('a', 'VALUE', 'EQUAL', '1')], success: [put('n', 'yes'), get('a')], failure: [put('n', 'no')] }),
      get('b'),
    ],
  });
  assert.equal(r.response.succeeded, false);
  assert.equal(r.response.revision, 3);
  const [p, d, t, g] = r.response.responses;
  assert.equal(p!.response, 'response_put');
  assert.equal(p!.response_put!.revision, 3);
  assert.equal(d!.response_delete_range!.deleted, 1);
  assert.equal(t!.response, 'response_txn');
  assert.equal(t!.response_txn!.revision, 0);
  assert.equal(t!.response_txn!.succeeded, true);
  assert.equal(t!.response_txn!.responses[0]!.response_put!.revision, 3);
  // range inside the txn sees the txn's earlier delete
  assert.deepEqual(t!.response_txn!.responses[1]!.response_range!.kvs, []);
  assert.equal(t!.response_txn!.responses[1]!.response_range!.revision, 3);
  assert.equal(g!.response_range!.kvs[0]!.value.toString(), '2');
  assert.deepEqual(
    r.events.map((e) => [e.type, e.kv.key.toString()]),
    [
      ['PUT', 'b'],
      ['DELETE', 'a'],
      ['PUT', 'n'],
    ],
  );
  assert.equal(store.range({ key: b('n') }).kvs[0]!.value.toString(), 'yes');
});

test('delete response revision inside a txn: beginRev until the txn changed something', () => {
  const { store } = freshStore();
  putAll(store, { a: '1' }); // rev 2
  const r = store.txn({ success: [del('zz'), put('b', '1'), del('yy')] });
  assert.equal(r.response.responses[0]!.response_delete_range!.revision, 2);
  assert.equal(r.response.responses[2]!.response_delete_range!.revision, 3);
  const r2 = store.txn({ success: [del('zz')] });
  assert.equal(r2.response.revision, 3);
  assert.deepEqual(r2.events, []);
});

test('range in a txn: future revision is relative to the txn revision', () => {
  const { store } = freshStore();
  putAll(store, { a: '1' }); // rev 2
  assert.throws(
    () => store.txn({ success: [put('b', '1'), get('a', { revision: 3 })] }),
    (e) => isEtcdError(e, 'FutureRev'),
  );
  assert.equal(store.currentRevision, 2);
  assert.deepEqual(keys(store.range({ key: b('a'), range_end: b('\0') }).kvs), ['a']);
});

test('pre-checks fail the whole txn with nothing written', () => {
  const { store, engine } = freshStore({ leaseExists: (id) => id === 1n });
  putAll(store, { a: '1', b: '2', c: '3' }); // rev 4
  store.compact(3);
  const before = engine.size;
  const fails: [TxnRequest, string][] = [
    [{ success: [put('x', '1'), get('a', { revision: 9 })] }, 'FutureRev'],
    [{ success: [put('x', '1'), get('a', { revision: 2 })] }, 'Compacted'],
    [{ success: [put('x', '1'), put('y', '1', { lease: 2n })] }, 'LeaseNotFound'],
    [{ success: [put('x', '1'), put('zz', '', { ignore_value: true })] }, 'KeyNotFound'],
    [{ success: [put('x', '1'), txnOp({ success: [put('zz', '', { ignore_lease: true })] })] }, 'KeyNotFound'],
    [{ success: [put('x', '1'), {}] }, 'KeyNotFound'],
  ];
  for (const [req, kind] of fails) {
    assert.throws(
      () => store.txn(req),
      (e) => isEtcdError(e, kind as never),
      kind,
    );
    assert.equal(store.currentRevision, 4);
    assert.equal(engine.size, before);
  }
  // the failure branch's ops are not checked when success is taken
  assert.equal(store.txn({ success: [get('a')], failure: [get('a', { revision: 99 })] }).response.succeeded, true);
  // a lease that exists is fine
  store.txn({ success: [put('y', '1', { lease: 1n })] });
  assert.equal(store.range({ key: b('y') }).kvs[0]!.lease, 1n);
});

test('a failure after writes (unvalidated request) rolls everything back', () => {
  const { store, engine } = freshStore();
  putAll(store, { a: '1', b: '2' }); // rev 3
  const snapshot = [...engine.scan('', '\uffff')].map(([k]) => k);
  // ignore_value on a key deleted earlier in the same txn passes the pre-check (pre-txn state) and fails at execution
  assert.throws(
    () => store.txn({ success: [put('c', '3'), del('a'), put('b', 'x'), put('a', '', { ignore_value: true })] }),
    (e) => isEtcdError(e, 'KeyNotFound'),
  );
  assert.deepEqual(
    [...engine.scan('', '\uffff')].map(([k]) => k),
    snapshot,
  );
  assert.equal(store.currentRevision, 3);
  assert.equal(store.keyCount, 2);
  assert.deepEqual(keys(store.range({ key: b('a'), range_end: b('\0') }).kvs), ['a', 'b']);
  assert.equal(store.range({ key: b('b') }).kvs[0]!.value.toString(), '2');
  assert.equal(store.range({ key: b('a') }).kvs[0]!.version, 1);
  // and the store keeps working normally afterwards
  assert.equal(store.put({ key: b('c'), value: b('3') }).response.revision, 4);
  assert.equal(store.range({ key: b('c') }).kvs[0]!.create_revision, 4);
});

test('create-if-absent idiom', () => {
  const { store } = freshStore();
  const req: TxnRequest = { compare: [cmp('lock', 'CREATE', 'EQUAL', 0)], success: [put('lock', 'me')], failure: [get('lock')] };
  assert.equal(store.txn(req).response.succeeded, true);
  const r = store.txn(req).response;
  assert.equal(r.succeeded, false);
  assert.equal(r.responses[0]!.response_range!.kvs[0]!.value.toString(), 'me');
});
