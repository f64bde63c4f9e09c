/** The LevelDB log verifier that runs before LevelDB opens a member's database. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findLogCorruption } from '../../src/server/engine/storage/leveldb-log-check';
import { crc32c } from '../../src/encoding/crc32c';

function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** A LevelDB log of FULL records (each under one block) holding `payloads`. */
function log(payloads: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (const p of payloads) {
    const left = 32768 - (pos % 32768);
    if (left < 7 + p.length) {
      parts.push(Buffer.alloc(left));
      pos += left;
    }
    const h = Buffer.alloc(7);
    h.writeUInt16LE(p.length, 4);
    h[6] = 1;
    h.writeUInt32LE(masked(crc32c(p, crc32c(Buffer.from([1])))), 0);
    parts.push(h, p);
    pos += 7 + p.length;
  }
  return Buffer.concat(parts);
}

const recs = Array.from({ length: 60 }, (_, i) => Buffer.alloc(700 + i, 97 + (i % 26)));

test('a sound log, and one whose last write was torn by a crash, pass', () => {
  const buf = log(recs);
  assert.equal(findLogCorruption(buf), -1);
  assert.equal(findLogCorruption(buf.subarray(0, buf.length - 300)), -1, 'record cut short at EOF');
  const zeroed = Buffer.from(buf);
  zeroed.fill(0, buf.length - 100);
  assert.equal(findLogCorruption(zeroed), -1, 'final record ending in never-written bytes');
});

test('damage in the middle, to a complete final record, or to a length is found', () => {
  const buf = log(recs);
  const mid = Buffer.from(buf);
  mid[Math.floor(buf.length * 0.3)]! ^= 0xff;
  assert.ok(findLogCorruption(mid) >= 0);
  const last = Buffer.from(buf);
  last[buf.length - 20]! ^= 0x01;
  assert.ok(findLogCorruption(last) >= 0);
  const len = Buffer.from(buf);
  len.writeUInt16LE(0xffff, 4);
  assert.equal(findLogCorruption(len), 0);
});
