/**
 * The strict wire check accepts every valid encoding (messages nested in messages, repeated
 * fields, long values and varints of every length) and refuses what etcd's decoder refuses:
 * truncation, a wrong wire type for a known field, tag 0. Randomized: prints its seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkWire, messageType } from '../../src/server/wire/strict-wire';
import { canonical } from '../../src/server/wire/canonical-wire';
import { PROTO_FILES, protoRoot } from '../../src/server/wire/protos';

const type = (name: string) => messageType(protoRoot(), PROTO_FILES, name);
const Put = type('etcdserverpb.PutRequest');
const Range = type('etcdserverpb.RangeRequest');
const Txn = type('etcdserverpb.TxnRequest');
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
console.log(`seed=${seed} (replay: FC_SEED=${seed})`);

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const put = fc.record({ key: bytes(40), value: bytes(70_000), lease: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), prev_kv: fc.boolean() });
const range = fc.record({
  key: bytes(40),
  range_end: bytes(40),
  limit: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
  revision: fc.integer({ min: 0 }),
});
const txn = fc.record({
  compare: fc.array(
    fc.record({ key: bytes(20), result: fc.constantFrom('EQUAL', 'LESS'), target: fc.constant('VERSION'), version: fc.nat() }),
    { maxLength: 3 },
  ),
  success: fc.array(
    put.map((p) => ({ request_put: p })),
    { maxLength: 3 },
  ),
  failure: fc.array(
    range.map((r) => ({ request_range: r })),
    { maxLength: 3 },
  ),
});

function encode(t: ReturnType<typeof type>, v: object): Uint8Array {
  const o = JSON.parse(
    JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)),
    (_k, x) => (x && x.type === 'Buffer' && Array.isArray(x.data) ? Buffer.from(x.data) : x),
  );
  return t.encode(t.fromObject(o)).finish();
}

test('every valid Put, Range and Txn encoding passes the check', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        put.map((v) => [Put, v] as const),
        range.map((v) => [Range, v] as const),
        txn.map((v) => [Txn, v] as const),
      ),
      ([t, v]) => {
        checkWire(t, encode(t, v));
      },
    ),
    { seed, numRuns: 300 },
  );
});

test('truncated encodings of a length-delimited field are refused', () => {
  fc.assert(
    fc.property(
      bytes(300).filter((b) => b.length > 0),
      bytes(300),
      (key, value) => {
        const buf = encode(Put, { key, value });
        for (let n = 1; n < buf.length; n++) {
          const cut = buf.subarray(0, n);
          // A cut right after a complete field is a valid shorter message; every other cut is refused.
          let ok = true;
          try {
            checkWire(Put, cut);
          } catch {
            ok = false;
          }
          if (ok) assert.ok(Put.decode(cut), `accepted a cut at ${n} that protobufjs cannot decode`);
        }
      },
    ),
    { seed, numRuns: 50 },
  );
});

test('a wrong wire type for a known field and tag 0 are refused', () => {
  assert.throws(() => checkWire(Put, Uint8Array.from([0x08, 0x01])), /wrong wireType = 0 for field key/);
  assert.throws(() => checkWire(Put, Uint8Array.from([0x00, 0x01])), /illegal tag 0/);
  assert.throws(() => checkWire(Put, Uint8Array.from([0x0a, 0x05, 0x61])));
  checkWire(Put, Uint8Array.from([0x0a, 0x01, 0x61, 0x12, 0x00]));
});

/** Decodes as the server does: the check, then protobufjs (on the canonical copy when needed). */
function decodeChecked(t: ReturnType<typeof type>, hex: string): Record<string, unknown> {
  const buf = Buffer.from(hex, 'hex');
  const bytes = checkWire(t, buf) ? canonical(t, buf) : buf;
  return t.toObject(t.decode(bytes), { longs: String, enums: String, defaults: false }) as Record<string, unknown>;
}

test('tags and 32-bit varints in forms protobufjs misreads are read as Go reads them', () => {
  // Field 4 (revision), wire type 7, in an 8-byte tag whose bits above 48 are set: Go takes the
  // wire type from the low bits and refuses it (FUZZ_SEED=1473435365 of the bad-input test).
  assert.throws(() => checkWire(Range, Buffer.from('0a066b6565702f30a7808080808080438040', 'hex')), /wrong wireType = 7/);
  // Field 4 (revision), varint, in a 6-byte tag, then revision 5: Go reads revision 5.
  assert.equal(checkWire(Range, Buffer.from('0a016ba0808080800005', 'hex')), true);
  assert.deepEqual(decodeChecked(Range, '0a016ba0808080800005'), { key: Buffer.from('k'), revision: '5' });
  // Bits 32-34 in a 5-byte tag: Go's field number is 2^29 + 4 (unknown, skipped); protobufjs
  // alone would read field 4.
  assert.deepEqual(decodeChecked(Range, '0a016ba080808010' + '07'), { key: Buffer.from('k') });
  // An unknown field in a 10-byte tag, skipped; the fields after it are kept.
  assert.deepEqual(decodeChecked(Range, '0a016ba0868080808080808000' + '00' + '2001'), { key: Buffer.from('k'), revision: '1' });
  // sort_order (enum, field 5) in 6 bytes: Go keeps bits 0-31 (1 = ASCEND).
  assert.deepEqual(decodeChecked(Range, '0a016b28818080808000'), { key: Buffer.from('k'), sort_order: 'ASCEND' });
  // serializable (bool, field 7) whose only set bit is bit 35: true for Go.
  assert.deepEqual(decodeChecked(Range, '0a016b38808080808001'), { key: Buffer.from('k'), serializable: true });
  // More than 10 bytes of tag overflow, as in Go.
  assert.throws(() => checkWire(Range, Buffer.from('8080808080808080808000', 'hex')), /integer overflow/);
  // Canonical encodings need no copy.
  assert.equal(checkWire(Range, Buffer.from('0a016b2005', 'hex')), false);
});
