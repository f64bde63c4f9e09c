/**
 * Restart: an in-process member with puts, deletes, txns and a compaction, stopped and
 * started again on the same data dir, holds the same keys, revision, history and compact
 * revision, and continues at revision+1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { startMember, type TestMember } from '../helpers/member';
import { EtcdClient, type Msg } from './grpc-client';

const KV = 'etcdserverpb.KV';
const MAINT = 'etcdserverpb.Maintenance';
const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';
const b = (s: string): Buffer => Buffer.from(s);

interface Snapshot {
  revision: number;
  kvs: Msg[];
  hash: string;
  compactRevision: string;
  /** Range of everything at each revision from the compact revision to the current one. */
  history: Msg[][];
}

async function snapshot(c: EtcdClient, compactRev: number): Promise<Snapshot> {
  const all = await c.call(KV, 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]) });
  const revision = Number(all.header.revision);
  const h = await c.call(MAINT, 'HashKV', { revision: '0' });
  const history: Msg[][] = [];
  for (let r = compactRev; r <= revision; r++) {
    const at = await c.call(KV, 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]), revision: String(r) });
    history.push(at.kvs as Msg[]);
  }
  return { revision, kvs: all.kvs as Msg[], hash: String(h.hash), compactRevision: String(h.compact_revision), history };
}

async function expectCompacted(c: EtcdClient, rev: number): Promise<void> {
  await assert.rejects(c.call(KV, 'Range', { key: b('a'), revision: String(rev) }), (e: Msg) => {
    assert.equal(e.code, status.OUT_OF_RANGE);
    assert.equal(e.details, COMPACTED);
    return true;
  });
}

test(
  'restart on the same data dir keeps keys, revision, history, compact revision; next put is revision+1',
  { timeout: 60_000 },
  async (t) => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-restart-'));
    let m: TestMember | undefined;
    let c: EtcdClient | undefined;
    t.after(async () => {
      c?.close();
      await m?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
    const start = async (): Promise<void> => {
      m = await startMember({ dataDir }, { keepDataDir: true });
      c = new EtcdClient(m.endpoint);
    };
    const stop = async (): Promise<void> => {
      c!.close();
      await m!.stop();
      m = undefined;
    };

    await start();
    const put = async (k: string, v: string): Promise<number> =>
      Number((await c!.call(KV, 'Put', { key: b(k), value: b(v) })).header.revision);
    assert.equal(await put('a', '1'), 2);
    await put('b', '1');
    await put('c', '1');
    await put('a', '2');
    await put('dir/x', 'x');
    await put('dir/y', 'y');
    const del = await c!.call(KV, 'DeleteRange', { key: b('b') });
    assert.equal(del.deleted, '1');
    const txn = await c!.call(KV, 'Txn', {
      compare: [{ key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('2') }],
      success: [
        { request_put: { key: b('t1'), value: b('v') } },
        { request_put: { key: b('t2'), value: b('v') } },
        { request_delete_range: { key: b('c') } },
      ],
      failure: [{ request_put: { key: b('never'), value: b('v') } }],
    });
    assert.equal(txn.succeeded, true);
    const txnRev = Number(txn.header.revision);
    const failed = await c!.call(KV, 'Txn', {
      compare: [{ key: b('a'), target: 'VALUE', result: 'EQUAL', value: b('nope') }],
      success: [{ request_put: { key: b('never'), value: b('v') } }],
      failure: [{ request_put: { key: b('f'), value: b('v') } }],
    });
    assert.equal(failed.succeeded, false);
    await put('a', '3');
    const compactRev = await put('dir/x', 'x2');
    await c!.call(KV, 'Compact', { revision: String(compactRev - 1), physical: true });
    const cr = compactRev - 1;
    await put('after', 'compaction');
    await c!.call(KV, 'DeleteRange', { key: b('dir/'), range_end: b('dir0') });
    await expectCompacted(c!, cr - 1);

    const before = await snapshot(c!, cr);
    assert.equal(before.compactRevision, String(cr));
    const keys = before.kvs.map((kv) => kv.key.toString());
    assert.deepEqual(keys, ['a', 'after', 'f', 't1', 't2']);

    for (let round = 1; round <= 2; round++) {
      await stop();
      await start();
      const after = await snapshot(c!, cr);
      assert.equal(after.revision, before.revision, `round ${round}: revision`);
      assert.deepEqual(after.kvs, before.kvs, `round ${round}: keys`);
      assert.equal(after.compactRevision, before.compactRevision, `round ${round}: compact revision (HashKV)`);
      assert.equal(after.hash, before.hash, `round ${round}: HashKV`);
      assert.deepEqual(after.history, before.history, `round ${round}: history from the compact revision`);
      await expectCompacted(c!, cr - 1);
      await expectCompacted(c!, 1);
      // Compacting at or below the compact revision again is an error too.
      await assert.rejects(
        c!.call(KV, 'Compact', { revision: String(cr) }),
        (e: Msg) => e.code === status.OUT_OF_RANGE && e.details === COMPACTED,
      );
      // The txn's two keys kept their shared revision.
      const t12 = await c!.call(KV, 'Range', { key: b('t1'), range_end: b('t3') });
      assert.deepEqual(
        t12.kvs.map((kv: Msg) => Number(kv.mod_revision)),
        [txnRev, txnRev],
      );
    }

    const next = await c!.call(KV, 'Put', { key: b('new'), value: b('v') });
    assert.equal(Number(next.header.revision), before.revision + 1, 'a new put continues at revision+1');
    const got = await c!.call(KV, 'Range', { key: b('new') });
    assert.equal(Number(got.kvs[0].create_revision), before.revision + 1);
    assert.equal(got.kvs[0].version, '1');
  },
);

test('restart right after writes (no idle time) keeps every acknowledged write', { timeout: 60_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-restart-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  let m = await startMember({ dataDir }, { keepDataDir: true });
  let c = new EtcdClient(m.endpoint);
  const revs = await Promise.all(
    Array.from({ length: 200 }, (_, i) => c.call(KV, 'Put', { key: b(`k${String(i).padStart(3, '0')}`), value: b(`v${i}`) })),
  );
  const max = Math.max(...revs.map((r) => Number(r.header.revision)));
  assert.equal(max, 201);
  c.close();
  await m.stop(); // immediately: the unsynced apply batch must have landed or be replayed
  m = await startMember({ dataDir }, { keepDataDir: true });
  c = new EtcdClient(m.endpoint);
  try {
    const all = await c.call(KV, 'Range', { key: b('k'), range_end: b('l') });
    assert.equal(all.kvs.length, 200);
    assert.equal(Number(all.header.revision), 201);
    all.kvs.forEach((kv: Msg, i: number) => assert.equal(kv.value.toString(), `v${i}`));
  } finally {
    c.close();
    await m.stop();
  }
});

test('restart after several Raft log compactions (--snapshot-count=100 --snapshot-catchup-entries=20)', { timeout: 60_000 }, async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-restart-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const cfg = { dataDir, snapshotCount: 100, snapshotCatchupEntries: 20 };
  let m = await startMember(cfg, { keepDataDir: true });
  let c = new EtcdClient(m.endpoint);
  for (let i = 0; i < 250; i++) await c.call(KV, 'Put', { key: b(`k${String(i).padStart(3, '0')}`), value: b(`v${i}`) });
  c.close();
  await m.stop();
  // Two compactions have run (around applied index 100 and 200); the member must come back.
  m = await startMember(cfg, { keepDataDir: true });
  c = new EtcdClient(m.endpoint);
  try {
    const all = await c.call(KV, 'Range', { key: b('k'), range_end: b('l'), count_only: true });
    assert.equal(all.count, '250');
    assert.equal(Number(all.header.revision), 251);
    const next = await c.call(KV, 'Put', { key: b('next'), value: b('v') });
    assert.equal(Number(next.header.revision), 252);
  } finally {
    c.close();
    await m.stop();
  }
});
