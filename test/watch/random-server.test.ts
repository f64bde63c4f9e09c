// Seeded randomized test against an in-process etcd-ts server over real gRPC: concurrent writers
// (puts, deletes, multi-op txns with 1 KiB values) while watchers are created on several streams
// at random moments with random start revisions (past, current, future), ranges and prev_kv;
// one stream stops reading for a while (slow consumer). At the end every watcher's events must
// equal the MVCC history it watches: same events, in order, each once, no revision split across
// responses, prev_kv correct.
//
// Replay: WATCH_SEED=<seed> node --test dist/test/watch/random-server.test.js
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/server/wire/protos';
import { eventsInRange } from '../../src/mvcc/history';
import type { Event } from '../../src/mvcc';
import { startMember, type TestMember } from '../helpers/member';
import { prng } from '../helpers/prng';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const KEYS = Array.from({ length: 10 }, (_, i) => `k${i}`);
const b = (s: string): Buffer => Buffer.from(s, 'latin1');

interface WatcherRec {
  key: string;
  end: string; // '' = single key
  start: number;
  prevKv: boolean;
  created?: Obj;
  responses: Obj[];
}

let member: TestMember;
before(async () => {
  member = await startMember();
});
after(async () => {
  await member.stop();
});

test('random concurrent writers and watchers agree with the MVCC history', async () => {
  const seed =
    process.env.WATCH_SEED !== undefined ? Number(process.env.WATCH_SEED) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0;
  console.log(`random-server watch test: seed ${seed} (replay with WATCH_SEED=${seed})`);
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

  const pkg = grpc.loadPackageDefinition(packageDefinition()) as Obj;
  const creds = grpc.credentials.createInsecure();
  const kv = new pkg.etcdserverpb.KV(member.endpoint, creds);
  const watchClient = new pkg.etcdserverpb.Watch(member.endpoint, creds);
  const unary = (m: string, req: Obj): Promise<Obj> =>
    new Promise((resolve, reject) => kv[m](req, (err: Error | null, res: Obj) => (err ? reject(err) : resolve(res))));
  let lastRev = 1;
  const value = (tag: string): Buffer => b(tag + '.'.repeat(1024));

  // Watch streams: watchers are numbered per stream in creation order (= the server's auto ids).
  const streams = Array.from({ length: 3 }, () => {
    const call = watchClient.Watch();
    const ws: WatcherRec[] = [];
    let createdCount = 0;
    call.on('data', (r: Obj) => {
      if (r.created) {
        ws[createdCount]!.created = r;
        createdCount++;
        return;
      }
      const w = ws[Number(r.watch_id)];
      if (w !== undefined) w.responses.push(r);
    });
    call.on('error', () => undefined);
    return { call, ws };
  });
  const createWatcher = (): void => {
    const st = pick(streams);
    const key = pick(KEYS);
    const shape = rnd();
    const end = shape < 0.5 ? '' : shape < 0.7 ? '\0' : pick(KEYS.filter((k) => k > key).concat(['z']));
    const r = rnd();
    const start = r < 0.3 ? 0 : r < 0.9 ? 1 + Math.floor(rnd() * lastRev) : lastRev + 1 + Math.floor(rnd() * 5);
    const w: WatcherRec = { key, end, start, prevKv: rnd() < 0.5, responses: [] };
    st.ws.push(w);
    st.call.write({ create_request: { key: b(key), range_end: b(end), start_revision: String(start), prev_kv: w.prevKv } });
  };

  // The slow consumer: stream 0 stops reading for a while.
  const slow = streams[0]!.call;
  const slowAt = 50 + Math.floor(rnd() * 100);

  const writer = async (wi: number): Promise<void> => {
    for (let i = 0; i < 150; i++) {
      const x = rnd();
      let res: Obj;
      if (x < 0.6) {
        res = await unary('Put', { key: b(pick(KEYS)), value: value(`w${wi}.${i}`) });
      } else if (x < 0.75) {
        const k = pick(KEYS);
        res = await unary('DeleteRange', rnd() < 0.5 ? { key: b(k) } : { key: b(k), range_end: b(pick(KEYS)) });
      } else {
        const ks = [...KEYS].sort(() => rnd() - 0.5).slice(0, 2 + Math.floor(rnd() * 3));
        res = await unary('Txn', {
          success: ks.map((k, j) =>
            j === 0 && rnd() < 0.3
              ? { request_delete_range: { key: b(k) } }
              : { request_put: { key: b(k), value: value(`t${wi}.${i}.${j}`) } },
          ),
        });
      }
      lastRev = Math.max(lastRev, Number(res.header.revision));
      if (rnd() < 0.08) createWatcher();
      if (wi === 0 && i === slowAt) slow.pause();
      if (wi === 0 && i === slowAt + 60) slow.resume();
    }
  };
  for (let i = 0; i < 4; i++) createWatcher();
  let maxVictims = 0;
  const sampler = setInterval(() => (maxVictims = Math.max(maxVictims, member.server.etcdMember.watchHub.victims.size)), 5);
  await Promise.all([writer(0), writer(1), writer(2)]);
  clearInterval(sampler);
  slow.resume();

  const m = member.server.etcdMember;
  const cur = m.mvcc.currentRevision;
  const history: Event[] = eventsInRange(m.engine, 1, cur, () => true);
  const prevOf = new Map<string, Event>(); // `${rev}:${key}` -> previous event of that key
  const lastByKey = new Map<string, Event>();
  for (const e of history) {
    const k = e.kv.key.toString('latin1');
    const p = lastByKey.get(k);
    if (p !== undefined) prevOf.set(`${e.kv.mod_revision}:${k}`, p);
    lastByKey.set(k, e);
  }
  const inRange = (w: WatcherRec, k: string): boolean =>
    w.end === '' ? k === w.key : w.end === '\0' ? k >= w.key : w.key <= k && k < w.end;
  const expected = (w: WatcherRec): string[] => {
    const createdRev = Number(w.created!.header.revision);
    const eff = w.start === 0 || w.start > createdRev ? Math.max(createdRev + 1, w.start) : w.start;
    return history
      .filter((e) => e.kv.mod_revision >= eff && inRange(w, e.kv.key.toString('latin1')))
      .map((e) => `${e.type} ${e.kv.key.toString('latin1')}@${e.kv.mod_revision}`);
  };
  const got = (w: WatcherRec): string[] =>
    w.responses.flatMap((r) => (r.events as Obj[]).map((e) => `${e.type} ${(e.kv.key as Buffer).toString('latin1')}@${e.kv.mod_revision}`));

  // Wait (bounded) until every watcher has everything it is owed.
  const all = streams.flatMap((s) => s.ws);
  const deadline = Date.now() + 20_000;
  while (!all.every((w) => w.created !== undefined && got(w).length >= expected(w).length) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const s of streams) s.call.end();
  for (const s of streams) s.call.cancel();

  assert.ok(all.length >= 4);
  all.forEach((w, i) => {
    const tag = `seed ${seed} watcher ${i} ${JSON.stringify({ key: w.key, end: w.end, start: w.start, prevKv: w.prevKv })}`;
    assert.ok(w.created !== undefined, `${tag}: never created`);
    assert.deepEqual(got(w), expected(w), `${tag}: events differ from the history`);
    let last = 0;
    for (const r of w.responses) {
      const evs = r.events as Obj[];
      if (evs.length === 0) continue;
      const first = Number(evs[0]!.kv.mod_revision);
      const lastEv = Number(evs[evs.length - 1]!.kv.mod_revision);
      assert.ok(first > last, `${tag}: revision ${first} split across responses`);
      assert.ok(Number(r.header.revision) >= lastEv, `${tag}: header revision below its events`);
      last = lastEv;
      for (const e of evs) {
        const k = (e.kv.key as Buffer).toString('latin1');
        const rev = Number(e.kv.mod_revision);
        const isCreate = e.type === 'PUT' && e.kv.create_revision === e.kv.mod_revision;
        const p = prevOf.get(`${rev}:${k}`);
        const wantPrev = w.prevKv && !isCreate && p !== undefined && p.type === 'PUT' ? Number(p.kv.mod_revision) : undefined;
        assert.equal(e.prev_kv ? Number(e.prev_kv.mod_revision) : undefined, wantPrev, `${tag}: prev_kv of ${e.type} ${k}@${rev}`);
      }
    }
  });
  console.log(`random-server watch test: ${all.length} watchers, ${history.length} events, max victims seen ${maxVictims}`);
  kv.close();
  watchClient.close();
});
