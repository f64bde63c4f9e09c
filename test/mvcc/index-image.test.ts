/**
 * Index images (src/mvcc/index-image.ts): a store rebuilt from the image of its index answers
 * exactly like one rebuilt from its records, for random histories (puts with leases, deletes,
 * txns, compactions, binary keys); malformed images are refused with IndexImageError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIndexImage, IndexImageError, IndexLoader, MemoryEngine, MvccStore } from '../../src/mvcc';
import { parseRevKey, REV_END, REV_PREFIX } from '../../src/mvcc/codec';
import { prng } from '../helpers/prng';
import { b } from './helpers';

const hooks = { leaseExists: (): boolean => true };
const ALL = { key: b('\0'), range_end: b('\0') };

/** A store over a fresh engine with a random history of `n` writes. */
function randomStore(seed: number, n: number): { store: MvccStore; engine: MemoryEngine } {
  const rnd = prng(seed);
  const int = (m: number): number => Math.floor(rnd() * m);
  const engine = new MemoryEngine();
  const store = new MvccStore(engine, hooks);
  const key = (): Buffer => (int(10) === 0 ? Buffer.from([0xff, int(3), 0x00]) : b(`k${int(60)}`));
  for (let i = 0; i < n; i++) {
    const op = int(20);
    if (op < 12) {
      const lease = int(4) === 0 ? BigInt(int(5)) * 0x1234567890abn : 0n;
      store.put({ key: key(), value: b(`v${i}`), lease });
    } else if (op < 15) store.deleteRange({ key: key() });
    else if (op < 16) store.deleteRange({ key: b(`k${int(6)}`), range_end: b(`k${int(6) + 3}`) });
    else if (op < 18) {
      store.txn({
        success: [{ request_put: { key: b(`t${int(5)}`), value: b('x') } }, { request_delete_range: { key: b(`k${int(60)}`) } }],
      });
    } else if (op < 19 && store.currentRevision > store.compactRevision + 5) {
      store.compact(store.compactRevision + 1 + int(store.currentRevision - store.compactRevision - 1));
    } else store.put({ key: key(), value: b('') });
  }
  return { store, engine };
}

/** The newest revision held by the engine (what a boot reading the records would see last). */
function lastMain(engine: MemoryEngine): number {
  let last = 0;
  for (const [k] of engine.scan(REV_PREFIX, REV_END)) last = Math.max(last, parseRevKey(k).main);
  return last;
}

/** Writes over every key the histories use; their results show each key's create, version and lease. */
function probe(s: MvccStore): unknown[] {
  const out: unknown[] = [];
  const leases: [string, bigint][] = [];
  s.forEachLiveLease((k, l) => leases.push([k, l]));
  out.push(leases);
  const keys = [...Array.from({ length: 60 }, (_, i) => b(`k${i}`)), ...Array.from({ length: 3 }, (_, i) => Buffer.from([0xff, i, 0]))];
  for (const [i, key] of keys.entries()) {
    out.push(i % 3 === 0 ? s.deleteRange({ key, prev_kv: true }) : s.put({ key, value: b('probe'), prev_kv: true }));
  }
  out.push(s.range(ALL), s.hashKV(0));
  return out;
}

test('a store rebuilt from its index image answers like one rebuilt from its records', () => {
  const base = Number(process.env.INDEX_IMAGE_SEED ?? Date.now() % 1_000_000);
  console.log(`index image seeds ${base}..${base + 19}`);
  for (let seed = base; seed < base + 20; seed++) {
    const n = 50 + (seed % 7) * 60;
    const original = randomStore(seed, n).store;
    const image = original.indexImage();
    assert.ok(image !== undefined, `seed ${seed}`);
    const a = randomStore(seed, n).engine;
    const fromImage = new MvccStore(a, hooks, new IndexLoader(decodeIndexImage(image), lastMain(a)));
    const fromRecords = new MvccStore(randomStore(seed, n).engine, hooks);
    for (const s of [fromImage, fromRecords]) {
      assert.deepEqual(s.indexImage(), image, `seed ${seed}`);
      assert.equal(s.currentRevision, original.currentRevision, `seed ${seed}`);
      assert.equal(s.compactRevision, original.compactRevision, `seed ${seed}`);
      assert.equal(s.keyCount, original.keyCount, `seed ${seed}`);
      assert.deepEqual(s.hashKV(0), original.hashKV(0), `seed ${seed}`);
      for (let rev = Math.max(1, original.compactRevision); rev <= original.currentRevision; rev += 7) {
        assert.deepEqual(s.range({ ...ALL, revision: rev }), original.range({ ...ALL, revision: rev }), `seed ${seed} rev ${rev}`);
      }
    }
    // Then the same compaction and writes on each: the same results (creates, versions, leases).
    const at = original.currentRevision - 1;
    const after = [original, fromImage, fromRecords].map((s) => {
      if (at > s.compactRevision) s.compact(at);
      return probe(s);
    });
    assert.deepEqual(after[1], after[0], `seed ${seed}: from the image`);
    assert.deepEqual(after[2], after[0], `seed ${seed}: from the records`);
  }
});

test('no image is taken while a compaction is unfinished', () => {
  const store = new MvccStore(new MemoryEngine(), hooks);
  for (let i = 0; i < 300; i++) store.put({ key: b(`k${i % 40}`), value: b(`v${i}`) });
  store.compact(250, true);
  assert.ok(store.compactionBacklog > 0);
  assert.equal(store.indexImage(), undefined);
  while (store.compactStep(5) > 0);
  assert.ok(store.indexImage() !== undefined);
});

test('malformed index images are refused with IndexImageError', () => {
  const { store } = randomStore(11, 120);
  const image = store.indexImage()!;
  // Every truncation fails cleanly (never another error, never a partial index).
  for (let n = 0; n < image.length; n++) {
    assert.throws(() => decodeIndexImage(image.subarray(0, n)), IndexImageError, `truncated to ${n}`);
  }
  assert.throws(() => decodeIndexImage(Buffer.concat([image, Buffer.from([0])])), IndexImageError);
  const magic = Buffer.from(image);
  magic[0] = magic[0]! ^ 1;
  assert.throws(() => decodeIndexImage(magic), /not an index image/);
});

test('keys out of order or revisions out of order are refused', () => {
  const engine = new MemoryEngine();
  const store = new MvccStore(engine, hooks);
  store.put({ key: b('a'), value: b('1') });
  store.put({ key: b('b'), value: b('2') });
  store.put({ key: b('b'), value: b('3') });
  const image = store.indexImage()!;
  // Keys "a" and "b" are one byte each: make the first key "c" (after "b").
  const keyAt = image.indexOf(Buffer.from([1, 0x61]));
  const swapped = Buffer.from(image);
  swapped[keyAt + 1] = 0x63;
  assert.throws(() => decodeIndexImage(swapped), IndexImageError);
  // b's revisions are (3, 0) then (4, 0): make the second one (2, 0).
  const revAt = image.lastIndexOf(Buffer.from([4, 0]));
  const older = Buffer.from(image);
  older[revAt] = 2;
  assert.throws(() => decodeIndexImage(older), /revisions out of order/);
});
