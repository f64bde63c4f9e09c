/** The V8 heap policy bin/etcd-ts has the server set at start (src/server/heap-policy.ts), unless node was given one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HEAP_GROWING_PERCENT, heapPolicyFlag } from '../../src/server/heap-policy';

test('sets the heap growing factor of Go GOGC=100 by default', () => {
  assert.equal(HEAP_GROWING_PERCENT, 100);
  assert.equal(heapPolicyFlag([]), '--heap-growing-percent=100');
  assert.equal(heapPolicyFlag(['--max-old-space-size=4096', '--enable-source-maps']), '--heap-growing-percent=100');
});

test("node's own --heap-growing-percent (on its command line) wins", () => {
  assert.equal(heapPolicyFlag(['--heap-growing-percent=50']), undefined);
  assert.equal(heapPolicyFlag(['--heap_growing_percent=20']), undefined);
  assert.equal(heapPolicyFlag(['--heap-growing-percent-typo=1']), '--heap-growing-percent=100');
});
