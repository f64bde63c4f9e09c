/** The alarm store over an engine, and the quota's cost estimates (etcd's storage/quota.go). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryEngine } from '../../src/mvcc';
import { AlarmStore } from '../../src/server/engine/alarm/alarm-store';
import { Quota } from '../../src/server/engine/alarm/quota';
import { costPut, costTxn } from '../../src/server/wire/request-cost';

const big = 0xfedcba9876543210n; // above 2^63: never a JS number

test('alarms: raise once per member and type, list by type then member, clear, survive a reload', () => {
  const engine = new MemoryEngine();
  const s = new AlarmStore(engine);
  assert.deepEqual(s.get(), []);
  assert.equal(s.has('NOSPACE'), false);
  assert.deepEqual(s.activate(big, 'NOSPACE'), { member: { memberID: big, alarm: 'NOSPACE' }, raised: true });
  assert.deepEqual(s.activate(big, 'NOSPACE'), { member: { memberID: big, alarm: 'NOSPACE' }, raised: false });
  s.activate(2n, 'NOSPACE');
  s.activate(1n, 'CORRUPT');
  assert.deepEqual(
    s.get().map((a) => `${a.alarm}:${a.memberID}`),
    ['NOSPACE:2', `NOSPACE:${big}`, 'CORRUPT:1'],
  );
  assert.deepEqual(
    s.get('CORRUPT').map((a) => a.memberID),
    [1n],
  );

  const again = new AlarmStore(engine);
  assert.deepEqual(again.get(), s.get(), 'reloaded from the engine');

  assert.deepEqual(s.deactivate(big, 'NOSPACE'), { memberID: big, alarm: 'NOSPACE' });
  assert.equal(s.deactivate(big, 'NOSPACE'), undefined, 'already cleared');
  assert.equal(s.deactivate(2n, 'CORRUPT'), undefined, 'never raised');
  assert.equal(s.has('NOSPACE'), true);
  s.deactivate(2n, 'NOSPACE');
  assert.equal(s.has('NOSPACE'), false);
  again.reload();
  assert.deepEqual(
    again.get().map((a) => `${a.alarm}:${a.memberID}`),
    ['CORRUPT:1'],
  );
  // Nothing in the revision key space.
  assert.deepEqual([...engine.scan('r/', 'r0')], []);
});

test('quota costs: 256 bytes per key plus key and value; a txn costs its dearer branch; 0 always fits', () => {
  const put = (k: string, v: string) => ({ request: 'request_put' as const, request_put: { key: Buffer.from(k), value: Buffer.from(v) } });
  assert.equal(costPut({ key: Buffer.from('abc'), value: Buffer.from('12345') }), 264);
  assert.equal(costPut({ key: Buffer.from('abc') }), 259);
  const nested = { request: 'request_txn' as const, request_txn: { success: [put('a', 'b'), put('c', '')] } };
  assert.equal(costTxn({ success: [put('k', 'v')], failure: [nested] }), Math.max(258, 258 + 257));
  assert.equal(costTxn({ success: [{ request: 'request_range', request_range: { key: Buffer.from('k') } }] }), 0);

  let size = 900;
  const q = new Quota(1000, () => size);
  assert.equal(q.available(99), true);
  assert.equal(q.available(100), false, 'size + cost must stay below the quota');
  size = 5000;
  assert.equal(q.available(0), true, 'a request that adds nothing passes');
  assert.equal(new Quota(Infinity, () => 1e15).available(1e9), true, 'negative --quota-backend-bytes: no quota');
});
