/**
 * Crash test: concurrent writers against a `bin/etcd-ts` child process, kill -9 in the
 * middle of the load, restart on the same data dir, and check that every acknowledged put
 * survived with consistent revisions. Three kill cycles, then a clean SIGTERM restart that must
 * give exactly the same store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { EtcdClient, type Msg } from './grpc-client';

const KV = 'etcdserverpb.KV';
const WRITERS = Number(process.env.CRASH_WRITERS ?? 24);
const KEYS_PER_WRITER = 6;
const CYCLES = 3;
const LOAD_MS = 1500;

interface Attempt {
  value: string;
  /** Request id: the two puts of one Txn share it (and their revision). */
  group: number;
  /** The acknowledged revision, or undefined if the put was never acknowledged. */
  rev: number | undefined;
}

/** Per key, every put attempted, in order (each writer has one put in flight at a time). */
const attempts = new Map<string, Attempt[]>();
const ackedRevisions = new Map<number, string>();
let seq = 0;
const duplicates: string[] = [];

function record(key: string, a: Attempt): void {
  let list = attempts.get(key);
  if (list === undefined) attempts.set(key, (list = []));
  list.push(a);
}

/**
 * One writer: sequential requests on its own keys. Writers with w % 4 == 3 write two keys per
 * request with a Txn (both keys then share a revision); the others Put one key.
 */
async function writer(c: EtcdClient, w: number, stop: { v: boolean }, cycle: number): Promise<number> {
  let acked = 0;
  const txn = w % 4 === 3;
  for (let i = 0; !stop.v; i++) {
    const key = `crash/w${String(w).padStart(2, '0')}/k${i % KEYS_PER_WRITER}`;
    const group = ++seq;
    const value = `c${cycle}-s${group}-${'x'.repeat(i % 50)}`;
    const mine: [string, Attempt][] = [[key, { value, group, rev: undefined }]];
    if (txn) mine.push([`${key}/t`, { value: `${value}/t`, group, rev: undefined }]);
    for (const [k, a] of mine) record(k, a);
    let r: Msg;
    try {
      if (txn) {
        const ops = mine.map(([k, a]) => ({ request_put: { key: Buffer.from(k), value: Buffer.from(a.value) } }));
        r = await c.call(KV, 'Txn', { success: ops }, 5000);
      } else {
        r = await c.call(KV, 'Put', { key: Buffer.from(key), value: Buffer.from(value) }, 5000);
      }
    } catch {
      return acked; // the member is gone
    }
    const rev = Number(r.header.revision);
    for (const [, a] of mine) a.rev = rev;
    const other = ackedRevisions.get(rev);
    if (other !== undefined) duplicates.push(`revision ${rev} acknowledged twice: for ${other} and for ${key}=${value}`);
    ackedRevisions.set(rev, `${key}=${value}`);
    acked++;
  }
  return acked;
}

async function rangeAll(c: EtcdClient): Promise<{ revision: number; kvs: Msg[] }> {
  const r = await c.call(KV, 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]) });
  return { revision: Number(r.header.revision), kvs: r.kvs as Msg[] };
}

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** The checks of the brief against a freshly restarted member. */
async function verify(c: EtcdClient, cycle: number): Promise<{ keys: number; checkedHistory: number; revision: number }> {
  const { revision, kvs } = await rangeAll(c);
  const byKey = new Map<string, Msg>();
  for (const kv of kvs) byKey.set(Buffer.from(kv.key).toString(), kv);
  let maxAcked = 0;
  for (const rev of ackedRevisions.keys()) maxAcked = Math.max(maxAcked, rev);
  assert.ok(revision >= maxAcked, `cycle ${cycle}: store revision ${revision} < max acknowledged revision ${maxAcked}`);

  const modRevs = new Map<number, { key: string; group: number }>();
  const finalGroup = new Map<string, number>();
  for (const [key, list] of attempts) {
    let lastAcked = -1;
    list.forEach((a, i) => {
      if (a.rev !== undefined) lastAcked = i;
    });
    const kv = byKey.get(key);
    if (lastAcked === -1) {
      // Never acknowledged: may or may not exist, but if it does its value is one we attempted.
      if (kv !== undefined) {
        const v = Buffer.from(kv.value).toString();
        assert.ok(
          list.some((a) => a.value === v),
          `cycle ${cycle}: ${key} holds ${v}, which nobody wrote`,
        );
      }
      continue;
    }
    const acked = list[lastAcked]!;
    assert.ok(kv !== undefined, `cycle ${cycle}: acknowledged key ${key} (=${acked.value} at rev ${acked.rev}) is missing after restart`);
    const v = Buffer.from(kv.value).toString();
    const mod = Number(kv.mod_revision);
    const idx = list.findIndex((a) => a.value === v);
    assert.ok(
      idx >= lastAcked,
      `cycle ${cycle}: ${key} = ${v} (attempt #${idx}), but the last acknowledged put (#${lastAcked}) wrote ${acked.value} at rev ${acked.rev}`,
    );
    if (idx === lastAcked) {
      assert.equal(mod, acked.rev, `cycle ${cycle}: ${key} mod_revision ${mod} != acknowledged revision ${acked.rev}`);
    } else {
      assert.ok(
        mod > acked.rev!,
        `cycle ${cycle}: ${key} holds a later unacknowledged value ${v} with mod_revision ${mod} <= acked ${acked.rev}`,
      );
    }
    const group = list[idx]!.group;
    const prior = modRevs.get(mod);
    assert.ok(
      prior === undefined || prior.group === group,
      `cycle ${cycle}: keys ${prior?.key} and ${key} share mod_revision ${mod} but came from different requests`,
    );
    modRevs.set(mod, { key, group });
    finalGroup.set(key, group);
  }
  // Txn atomicity: the two keys a Txn writer always writes together hold the same request's values.
  for (const [key, group] of finalGroup) {
    if (!key.endsWith('/t')) continue;
    const base = key.slice(0, -2);
    assert.equal(finalGroup.get(base), group, `cycle ${cycle}: ${base} and ${key} hold values of different Txns`);
  }
  // Keys written only by this test: nothing unexpected.
  for (const key of byKey.keys()) assert.ok(attempts.has(key), `cycle ${cycle}: unexpected key ${key}`);

  // Range at every acknowledged revision (a sample when there are many) returns that put.
  const acked: { key: string; value: string; rev: number }[] = [];
  for (const [key, list] of attempts) for (const a of list) if (a.rev !== undefined) acked.push({ key, value: a.value, rev: a.rev });
  const sample = acked.length <= 1500 ? acked : acked.filter((_, i) => i % Math.ceil(acked.length / 1500) === 0);
  await pool(sample, 32, async (a) => {
    const r = await c.call(KV, 'Range', { key: Buffer.from(a.key), revision: String(a.rev) });
    assert.equal(r.kvs.length, 1, `cycle ${cycle}: Range ${a.key} at rev ${a.rev} returned ${r.kvs.length} kvs`);
    assert.equal(Buffer.from(r.kvs[0].value).toString(), a.value, `cycle ${cycle}: Range ${a.key} at rev ${a.rev}`);
    assert.equal(Number(r.kvs[0].mod_revision), a.rev);
    assert.equal(Number(r.header.revision), revision, 'Range header.revision is the current revision');
  });
  return { keys: kvs.length, checkedHistory: sample.length, revision };
}

const CONFIGS: [string, string[]][] = [
  ['default flags', []],
  // Snapshots (and Raft log compaction) every 100 entries keeping 20: crashes land around them.
  ['--snapshot-count=100 --snapshot-catchup-entries=20', ['--snapshot-count=100', '--snapshot-catchup-entries=20']],
];

for (const [label, extraArgs] of CONFIGS)
  test(
    `kill -9 under concurrent Put/Txn load loses no acknowledged write (3 cycles), then SIGTERM restart is exact (${label})`,
    { timeout: 120_000 },
    async (t) => {
      attempts.clear();
      ackedRevisions.clear();
      duplicates.length = 0;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-crash-'));
      const clientPort = await freePort();
      const peerPort = await freePort();
      const start = (): Promise<ProcessMember> => startProcessMember({ dataDir, clientPort, peerPort, extraArgs });
      let member: ProcessMember | undefined;
      t.after(async () => {
        await member?.kill('SIGKILL');
        fs.rmSync(dataDir, { recursive: true, force: true });
      });

      member = await start();
      try {
        for (let cycle = 1; cycle <= CYCLES; cycle++) {
          const c = new EtcdClient(member.endpoint);
          const stop = { v: false };
          const started = Date.now();
          let loadMs = 0;
          const writers = Array.from({ length: WRITERS }, (_, w) => writer(c, w, stop, cycle));
          await new Promise((r) => setTimeout(r, LOAD_MS));
          const code: number | null = await member.kill('SIGKILL');
          loadMs = Date.now() - started;
          assert.equal(code, null, 'killed by the signal');
          const counts = await Promise.all(writers);
          stop.v = true;
          c.close();
          assert.deepEqual(duplicates, [], 'every acknowledged put has its own revision');
          const ackedThisCycle = counts.reduce((a, b) => a + b, 0);
          assert.ok(ackedThisCycle > 0, `cycle ${cycle}: no put was acknowledged before the kill\n${member.stderr()}`);

          member = await start();
          const c2 = new EtcdClient(member.endpoint);
          try {
            const v = await verify(c2, cycle);
            t.diagnostic(
              `cycle ${cycle}: ${ackedThisCycle} requests acked in ${loadMs} ms by ${WRITERS} writers (1 in 4 two-key Txns) before kill -9; ` +
                `after restart rev ${v.revision}, ${v.keys} keys, ${v.checkedHistory} historical reads checked`,
            );
            // A new put continues after the recovered revision.
            const r = await c2.call(KV, 'Put', { key: Buffer.from('crash/after'), value: Buffer.from(`c${cycle}`) });
            assert.equal(Number(r.header.revision), v.revision + 1, 'first put after restart gets revision+1');
            const list = attempts.get('crash/after') ?? [];
            list.push({ value: `c${cycle}`, group: ++seq, rev: Number(r.header.revision) });
            attempts.set('crash/after', list);
            ackedRevisions.set(Number(r.header.revision), `crash/after=c${cycle}`);
          } finally {
            c2.close();
          }
        }

        // Clean stop: exactly the same keys and revision.
        const c = new EtcdClient(member.endpoint);
        const before = await rangeAll(c);
        c.close();
        await member.kill('SIGTERM');
        member = await start();
        const c2 = new EtcdClient(member.endpoint);
        const after = await rangeAll(c2);
        c2.close();
        assert.equal(after.revision, before.revision, 'revision after SIGTERM restart');
        assert.deepEqual(after.kvs, before.kvs, 'keys after SIGTERM restart');
        t.diagnostic(`SIGTERM restart: rev ${after.revision}, ${after.kvs.length} keys identical`);
      } catch (e) {
        t.diagnostic(`member stderr (tail):\n${member?.stderr().slice(-4000)}`);
        throw e;
      }
    },
  );
