/**
 * Raft entry data is cut from slabs that hold nothing but entries (src/server/wire/log-slab.ts):
 * the bytes round-trip, buffers never overlap, a slab is shared only by entries, and large
 * entries get an allocation of their own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogSlab } from '../../src/server/wire/log-slab';
import { decodeRequest, encodeRequest, RequestKind } from '../../src/server/wire/request-codec';

test('entry buffers from one slab do not overlap and keep their bytes', () => {
  const slab = new LogSlab();
  const bufs: Buffer[] = [];
  for (let i = 0; i < 500; i++) {
    const b = slab.take(1 + ((i * 37) % 900));
    b.fill(i & 0xff);
    bufs.push(b);
  }
  bufs.forEach((b, i) =>
    assert.ok(
      b.every((x) => x === (i & 0xff)),
      `buffer ${i} was overwritten`,
    ),
  );
  // Consecutive small buffers share a slab that is not Node's 8 KiB pool.
  const a = slab.take(100);
  const b = slab.take(100);
  assert.equal(a.buffer, b.buffer);
  assert.ok(a.buffer.byteLength > Buffer.poolSize, "entry buffers must not be cut from Node's shared pool");
  assert.notEqual(a.buffer, Buffer.allocUnsafe(100).buffer);
});

test('a large entry gets a buffer of its own', () => {
  const slab = new LogSlab();
  const big = slab.take(100_000);
  assert.equal(big.length, 100_000);
  assert.equal(big.buffer.byteLength, 100_000);
  const small = slab.take(10);
  assert.notEqual(small.buffer, big.buffer);
});

test('encodeRequest round-trips through entry slabs', () => {
  const payload = Buffer.from('the client bytes');
  for (let i = 0; i < 2000; i++) {
    const data = encodeRequest(RequestKind.Put, 0xabcd, 1_000_000 + i, payload);
    assert.notEqual(data.buffer, Buffer.allocUnsafe(1).buffer, "entry data must not share Node's pool");
    const d = decodeRequest(data);
    assert.equal(d.kind, RequestKind.Put);
    assert.equal(d.idHigh, 0xabcd);
    assert.equal(d.idLow, 1_000_000 + i);
    assert.deepEqual(d.payload, payload);
  }
});
