/**
 * The bulk reader of large ranges: records read in an order unrelated to their revisions (the
 * sparse path: one getMany on the thread pool) and in revision order (the dense path: a snapshot
 * iterator) come back exact, from the snapshot taken with the reader (later writes and deletes
 * not seen), with records not landed yet read from the overlay copy, and a record changed on disk
 * behind the engine fails its checksum on both paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { LevelEngine } from '../../src/server/engine/storage/level-engine';
import type { BulkReader } from '../../src/server/engine/storage/bulk-reader';
import { rawBatch } from '../../src/server/engine/storage/raw-batch';
import { decodeRecord, encodeRecord, revKey } from '../../src/mvcc/codec';
import { prng } from '../helpers/prng';

const N = 3000;

function record(i: number, tag: string): Buffer {
  const key = Buffer.from(`/k/${String(i).padStart(5, '0')}`);
  return encodeRecord(
    { key, create_revision: i + 2, mod_revision: i + 2, version: 1, value: Buffer.from(`${tag}-${i}`), lease: 0n },
    false,
  );
}

async function withEngine(fn: (e: LevelEngine, db: Level<string, Buffer>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-bulk-'));
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const e = new LevelEngine(db, 0);
  try {
    await fn(e, db);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function flush(e: LevelEngine, db: Level<string, Buffer>): Promise<void> {
  const ops = e.drain();
  await rawBatch(db, ops, false);
  e.settle(ops);
}

/** Revision pairs of records `order` (record i has main revision i + 2). */
function pairs(order: number[]): Float64Array {
  const out = new Float64Array(2 * order.length);
  order.forEach((i, j) => (out[2 * j] = i + 2));
  return out;
}

/**
 * Reads `revs` in chunks: chunks of 100 out of thousands of scattered revisions span more than four
 * times their size (the sparse path); chunks of consecutive revisions take the dense one.
 */
async function readAll(reader: BulkReader, revs: Float64Array, chunk: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const n = revs.length / 2;
  for (let from = 0; from < n; from += chunk) out.push(...(await reader.read(revs, from, Math.min(n, from + chunk))));
  return out;
}

function valueOf(rec: Uint8Array): string {
  return decodeRecord(Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength)).kv.value.toString();
}

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1e9);

test(`sparse and dense bulk reads are exact, from the reader's snapshot, with the overlay (seed ${seed})`, async () => {
  await withEngine(async (e, db) => {
    for (let i = 0; i < N; i++) e.put(revKey(i + 2, 0), record(i, 'v'));
    await flush(e, db);
    // Two records written but not landed: the reader copies them.
    e.put(revKey(N + 2, 0), record(N, 'v'));
    e.put(revKey(N + 3, 0), record(N + 1, 'v'));
    const reader = e.bulkReader();
    // After the reader is taken: the overlay lands, a record is deleted and one rewritten on disk.
    await flush(e, db);
    e.del(revKey(7, 0));
    await flush(e, db);
    const rnd = prng(seed);
    const shuffled = Array.from({ length: N + 2 }, (_, i) => i);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    try {
      for (const [order, chunk] of [
        [shuffled, 100],
        [Array.from({ length: N + 2 }, (_, i) => i), 1000],
      ] as const) {
        const revs = pairs(order);
        const got = await readAll(reader, revs, chunk);
        assert.deepEqual(
          got.map(valueOf),
          order.map((i) => `v-${i}`),
        );
      }
    } finally {
      await reader.close();
    }
  });
});

test('a record changed on disk behind the engine fails its checksum in a bulk read, sparse or dense', async () => {
  await withEngine(async (e, db) => {
    for (let i = 0; i < N; i++) e.put(revKey(i + 2, 0), record(i, 'v'));
    await flush(e, db);
    const reported: Error[] = [];
    e.onCorrupt = (err) => reported.push(err);
    // Same length, another byte.
    await db.put(`mvcc/${revKey(1502, 0)}`, record(1500, 'V'));
    const sparse = Array.from({ length: N }, (_, i) => (i * 7919) % N);
    for (const [order, chunk] of [
      [sparse, 100],
      [Array.from({ length: N }, (_, i) => i), 1000],
    ] as const) {
      const reader = e.bulkReader();
      try {
        await assert.rejects(
          readAll(reader, pairs(order), chunk),
          (err: Error) => err.message === `revision record ${revKey(1502, 0)} read from LevelDB fails its checksum`,
        );
      } finally {
        await reader.close();
      }
    }
    assert.equal(reported.length, 2);
  });
});

test('a dense bulk read keeps exactly the wanted records among others in its span (subs, hex digits a-f)', async () => {
  await withEngine(async (e, db) => {
    const all: [number, number][] = [];
    for (let main = 0xa0; main < 0xa0 + 700; main++) for (let sub = 0; sub < 3; sub++) all.push([main, sub + (main % 2) * 0xfa]);
    for (const [main, sub] of all) e.put(revKey(main, sub), record(main * 1000 + sub, 'v'));
    await flush(e, db);
    // Every other record, a run of consecutive ones (901-904), and one in 97 of those left out: the
    // span is within four times the count, so the dense path (the iterator) reads them.
    const wanted = all.filter((_, i) => i % 2 === 0 || (i > 900 && i < 905)).filter((_, i) => i % 97 !== 5);
    const revs = new Float64Array(2 * wanted.length);
    wanted.forEach(([main, sub], j) => {
      revs[2 * j] = main;
      revs[2 * j + 1] = sub;
    });
    const reader = e.bulkReader();
    try {
      const got = await readAll(reader, revs, wanted.length);
      assert.deepEqual(
        got.map(valueOf),
        wanted.map(([main, sub]) => `v-${main * 1000 + sub}`),
      );
    } finally {
      await reader.close();
    }
  });
});
