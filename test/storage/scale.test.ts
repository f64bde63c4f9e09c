/**
 * A small scale test of the on-disk values (issue 14): 50,000 keys of 256 B, some overwritten and
 * deleted, a compaction, two restarts (the key index loaded from the index image a clean stop
 * leaves, then rebuilt from the revision headers), and after each every read compared with what
 * was written: the whole range, count-only, keys-only, a first page, old
 * revisions and the KV hash. The record cache is 1 MiB, so nearly every value comes from LevelDB.
 * The full-size figures come from `BENCH_SCALE=1 npm run bench`, not from here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startMember } from '../helpers/member';
import { EtcdClient, type Msg } from '../server/grpc-client';
import { prng } from '../helpers/prng';
import { indexImagePath } from '../../src/server/engine/storage/index-image-store';

const KV = 'etcdserverpb.KV';
const MAINT = 'etcdserverpb.Maintenance';
const N = Number(process.env.SCALE_TEST_KEYS ?? 50_000);
const ALL = { key: Buffer.from('/scale/'), range_end: Buffer.from('/scale0') };

const keyOf = (i: number): Buffer => Buffer.from(`/scale/${String(i).padStart(7, '0')}`);

interface Model {
  value: Buffer;
  create: number;
  mod: number;
  version: number;
}

/** Runs fn over 0..n-1 with `width` calls in flight. */
async function inParallel(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

function check(kvs: Msg[], model: Map<string, Model>, keysOnly = false): void {
  assert.equal(kvs.length, model.size);
  let prev = '';
  for (const kv of kvs) {
    const k = (kv.key as Buffer).toString();
    assert.ok(k > prev, 'ascending keys');
    prev = k;
    const m = model.get(k);
    assert.ok(m !== undefined, `unexpected key ${k}`);
    assert.equal(Number(kv.create_revision), m.create, k);
    assert.equal(Number(kv.mod_revision), m.mod, k);
    assert.equal(Number(kv.version), m.version, k);
    if (keysOnly) assert.equal((kv.value as Buffer).length, 0, k);
    else assert.ok((kv.value as Buffer).equals(m.value), `value of ${k}`);
  }
}

test(`${N} keys on disk: written, restarted, read back exactly`, { timeout: 600_000 }, async () => {
  const seed = Number(process.env.SCALE_TEST_SEED ?? Date.now() % 1_000_000);
  console.log(`scale test seed ${seed}`);
  const rnd = prng(seed);
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-scale-')), 'data');
  const valueOf = (): Buffer => Buffer.from(Array.from({ length: 256 }, () => Math.floor(rnd() * 256)));
  const model = new Map<string, Model>();
  const config = { name: 'scale', dataDir, valueCacheBytes: 1024 * 1024 };

  let m = await startMember(config, { keepDataDir: true });
  let c = new EtcdClient(m.endpoint);
  const put = async (i: number): Promise<void> => {
    const key = keyOf(i);
    const value = valueOf();
    const r = await c.call(KV, 'Put', { key, value });
    const rev = Number(r.header.revision);
    const old = model.get(key.toString());
    model.set(key.toString(), { value, create: old?.create ?? rev, mod: rev, version: (old?.version ?? 0) + 1 });
  };
  await inParallel(N, 64, put);
  // Overwrites, deletes and a compaction leave history and tombstones on disk.
  const mid = Number((await c.call(KV, 'Range', { ...ALL, count_only: true })).header.revision);
  const midModel = new Map(model);
  await inParallel(N / 10, 16, (i) => put(i * 10));
  for (let i = 1; i < N; i += 50) {
    await c.call(KV, 'DeleteRange', { key: keyOf(i) });
    model.delete(keyOf(i).toString());
  }
  await c.call(KV, 'Compact', { revision: String(mid - 100), physical: true });
  const hash = await c.call(MAINT, 'HashKV', { revision: '0' });
  check((await c.call(KV, 'Range', ALL, 60_000)).kvs as Msg[], model);
  c.close();
  await m.stop();

  // Restarted twice: from the index image the clean stop left, then (the image removed, as
  // after a crash) from the revision headers.
  for (const from of ['index image', 'revision headers']) {
    if (from === 'revision headers') removeIndexImage(dataDir);
    const lines: string[] = [];
    m = await startMember(config, { keepDataDir: true, logTo: (l) => lines.push(l) });
    c = new EtcdClient(m.endpoint);
    const restored = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'restored member from data dir');
    assert.match(String(restored?.['index-from']), new RegExp(`^${from}`));
    await readBack(c, model, mid, midModel, hash);
    c.close();
    await m.stop();
  }
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

function removeIndexImage(dataDir: string): void {
  const image = indexImagePath(dataDir);
  assert.ok(fs.existsSync(image), 'the clean stop left an index image');
  fs.rmSync(image);
}

async function readBack(c: EtcdClient, model: Map<string, Model>, mid: number, midModel: Map<string, Model>, hash: Msg): Promise<void> {
  {
    const all = await c.call(KV, 'Range', ALL, 60_000);
    check(all.kvs as Msg[], model);
    assert.equal(Number(all.count), model.size);
    const count = await c.call(KV, 'Range', { ...ALL, count_only: true });
    assert.equal(Number(count.count), model.size);
    assert.equal((count.kvs as Msg[]).length, 0);
    check((await c.call(KV, 'Range', { ...ALL, keys_only: true }, 60_000)).kvs as Msg[], model, true);
    const page = await c.call(KV, 'Range', { ...ALL, limit: 1000 });
    assert.equal((page.kvs as Msg[]).length, 1000);
    assert.equal(page.more, true);
    assert.equal(Number(page.count), model.size);
    const firstKeys = [...model.keys()].sort().slice(0, 1000);
    assert.deepEqual(
      (page.kvs as Msg[]).map((kv) => (kv.key as Buffer).toString()),
      firstKeys,
    );
    // The store as of `mid` (before the overwrites and deletes), read after the restart.
    check((await c.call(KV, 'Range', { ...ALL, revision: String(mid) }, 60_000)).kvs as Msg[], midModel);
    const hash2 = await c.call(MAINT, 'HashKV', { revision: '0' });
    assert.equal(String(hash2.hash), String(hash.hash));
    assert.equal(String(hash2.compact_revision), String(hash.compact_revision));
  }
}
