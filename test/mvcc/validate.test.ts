import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isEtcdError } from '../../src/errors';
import type { ErrorKind } from '../../src/errors';
import { validateDeleteRange, validatePut, validateRange, validateTxn } from '../../src/mvcc';
import type { RequestOp, TxnRequest } from '../../src/mvcc';
import { b } from './helpers';

const is = (kind: ErrorKind) => (e: unknown) => isEtcdError(e, kind);
const put = (k: string): RequestOp => ({ request: 'request_put', request_put: { key: b(k), value: b('v') } });
const del = (k: string, end?: string): RequestOp => ({
  request: 'request_delete_range',
  request_delete_range: end === undefined ? { key: b(k) } : { key: b(k), range_end: b(end) },
});
const get = (k: string): RequestOp => ({ request: 'request_range', request_range: { key: b(k) } });
const txn = (t: TxnRequest): RequestOp => ({ request: 'request_txn', request_txn: t });

test('range validation: empty key, sort enums, negative limit accepted', () => {
  assert.throws(() => validateRange({ key: b('') }), is('EmptyKey'));
  assert.throws(() => validateRange({ key: b(''), sort_order: 9 }), is('EmptyKey'));
  assert.throws(() => validateRange({ key: b('a'), sort_order: 3 }), is('InvalidSortOption'));
  assert.throws(() => validateRange({ key: b('a'), sort_target: 5 }), is('InvalidSortOption'));
  assert.throws(() => validateRange({ key: b('a'), sort_target: 'BOGUS' as never }), is('InvalidSortOption'));
  validateRange({ key: b('a'), sort_order: 2, sort_target: 4 });
  validateRange({ key: b('a'), sort_order: 'DESCEND', sort_target: 'VALUE', limit: -5 });
});

test('put and delete validation', () => {
  assert.throws(() => validatePut({ key: b('') }), is('EmptyKey'));
  assert.throws(() => validatePut({ key: b('a'), ignore_value: true, value: b('x') }), is('ValueProvided'));
  assert.throws(() => validatePut({ key: b('a'), ignore_lease: true, lease: 1n }), is('LeaseProvided'));
  validatePut({ key: b('a'), ignore_value: true, ignore_lease: true });
  assert.throws(() => validateDeleteRange({ key: b('') }), is('EmptyKey'));
  validateDeleteRange({ key: b('a'), range_end: b('\0') });
});

test('txn: too many ops, including the nested budget', () => {
  const ops = (n: number): RequestOp[] => Array.from({ length: n }, (_, i) => get(`k${i}`));
  validateTxn({ success: ops(128) });
  assert.throws(() => validateTxn({ success: ops(129) }), is('TooManyOps'));
  assert.throws(() => validateTxn({ compare: Array.from({ length: 4 }, () => ({ key: b('a') })) }, 3), is('TooManyOps'));
  validateTxn({ success: [...ops(2), txn({ success: ops(1) })] }, 4);
  // outer opc = 3 leaves a budget of 1 for the nested txn
  assert.throws(() => validateTxn({ success: [...ops(2), txn({ success: ops(2) })] }, 4), is('TooManyOps'));
});

test('txn: empty compare key, empty RequestOp, nested op validation', () => {
  assert.throws(() => validateTxn({ compare: [{ key: b('') }] }), is('EmptyKey'));
  assert.throws(() => validateTxn({ success: [{}] }), is('KeyNotFound'));
  assert.throws(() => validateTxn({ failure: [txn({ success: [{}] })] }), is('KeyNotFound'));
  assert.throws(() => validateTxn({ success: [txn({ success: [{ request_put: { key: b('') } }] })] }), is('EmptyKey'));
  assert.throws(() => validateTxn({ success: [{ request_range: { key: b('a'), sort_order: 7 } }] }), is('InvalidSortOption'));
});

test('txn: duplicate-key rule (checkIntervals)', () => {
  assert.throws(() => validateTxn({ success: [put('a'), put('a')] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ failure: [put('a'), put('a')] }), is('DuplicateKey'));
  validateTxn({ success: [put('a')], failure: [put('a')] });
  assert.throws(() => validateTxn({ success: [put('b'), del('a', 'c')] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ success: [del('b'), put('b')] }), is('DuplicateKey'));
  validateTxn({ success: [put('c'), del('a', 'c')] }); // end is exclusive
  validateTxn({ success: [del('a', 'c'), del('b', 'd'), get('a')] }); // delete/delete and ranges allowed
  // like etcd, a "\0" range end is kept literally: such a delete overlaps no put
  validateTxn({ success: [put('b'), del('a', '\0')] });
  // nested
  assert.throws(() => validateTxn({ success: [put('a'), txn({ success: [put('a')] })] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ success: [del('a'), txn({ failure: [put('a')] })] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ success: [put('a'), txn({ success: [del('a')] })] }), is('DuplicateKey'));
  validateTxn({ success: [txn({ success: [put('a')], failure: [put('a')] })] });
  assert.throws(() => validateTxn({ success: [txn({ success: [put('a')] }), txn({ failure: [put('a')] })] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ success: [txn({ success: [put('a')] }), txn({ success: [put('a')] })] }), is('DuplicateKey'));
  assert.throws(() => validateTxn({ success: [txn({ success: [del('a', 'z')] }), put('m')] }), is('DuplicateKey'));
});
