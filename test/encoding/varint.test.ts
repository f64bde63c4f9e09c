/**
 * uint64 varints: the bigint writer and reader agree with a byte-at-a-time reference on every
 * value, including the ids above 2^53 that take the two-part paths (and the reader's cache of
 * recent values), and reject what is not a uint64.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader, WireError, varintSizeBig, writeVarintBig } from '../../src/encoding/varint';

const MAX_U64 = (1n << 64n) - 1n;

function reference(v: bigint): number[] {
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function roundTrip(v: bigint): void {
  const buf = new Uint8Array(12).fill(0xee);
  const end = writeVarintBig(buf, 1, v);
  assert.deepEqual([...buf.subarray(1, end)], reference(v), `bytes of ${v}`);
  assert.equal(end - 1, varintSizeBig(v), `size of ${v}`);
  const r = new Reader(buf, 1, end);
  assert.equal(r.varintBig(), v);
  assert.equal(r.pos, end);
}

test('every uint64 round-trips through writeVarintBig and varintBig, byte-identical to the reference', () => {
  const edges = [
    0n,
    1n,
    127n,
    128n,
    2n ** 49n - 1n,
    2n ** 49n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 56n - 1n,
    2n ** 56n,
    2n ** 63n - 1n,
    2n ** 63n,
    MAX_U64 - 1n,
    MAX_U64,
  ];
  for (const v of edges) roundTrip(v);
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: MAX_U64 }), (v) => roundTrip(v)),
    { numRuns: 20000 },
  );
  // Values whose low 49 bits are equal share a cache slot: each read still gives its own value.
  const low = 0x1234_5678_9abcn;
  for (let hi = 0n; hi < 200n; hi++) roundTrip((hi << 49n) | low);
  for (let hi = 199n; hi >= 0n; hi--) roundTrip((hi << 49n) | low);
});

test('varintBig rejects values above uint64, over-long and truncated varints; writeVarintBig rejects non-uint64', () => {
  const read = (bytes: number[]): bigint => new Reader(Uint8Array.from(bytes)).varintBig();
  const nine = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  assert.equal(read([...nine, 0x01]), MAX_U64);
  assert.throws(
    () => read([...nine, 0x02]),
    (e: Error) => e instanceof WireError && /exceeds uint64/.test(e.message),
  );
  assert.throws(
    () => read([...nine, 0x81, 0x00]),
    (e: Error) => e instanceof WireError && /too long/.test(e.message),
  );
  for (let n = 1; n <= 9; n++)
    assert.throws(
      () => read(nine.slice(0, n)),
      (e: Error) => e instanceof WireError && /truncated/.test(e.message),
    );
  assert.throws(() => writeVarintBig(new Uint8Array(12), 0, -1n), RangeError);
  assert.throws(() => writeVarintBig(new Uint8Array(12), 0, MAX_U64 + 1n), RangeError);
});
