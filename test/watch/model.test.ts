// Randomized, seeded model test of the watch hub + streams over an in-memory store: random writes
// (puts, deletes, multi-op txns), watchers created at random revisions on several streams with
// random ranges/filters/prev_kv, cancels, compactions, progress requests, and slow consumers
// (outputs that stop accepting). Each stream's output is checked against the store's history:
// created first; every watcher gets exactly the history events it watches, in order, once, with
// no revision split across responses (a prefix only if canceled or compacted); prev_kv correct;
// progress (-1) never followed by an event at or below its revision; bounded buffers.
//
// Replay: WATCH_SEED=<seed> [WATCH_STEPS=<n>] node --test dist/test/watch/model.test.js
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, KeyValue } from '../../src/mvcc';
import { Rig, b, create, cancel, progress, type FakeOutput } from './fakes';
import type { ServerWatchStream } from '../../src/server/api/watch/stream';
import { prng } from '../helpers/prng';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];

interface Spec {
  stream: number;
  id: number;
  key: string;
  end: string | undefined; // undefined single key; '\0' = all >= key
  effStart: number;
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
  canceledAt?: number;
}

function inRange(s: Spec, k: string): boolean {
  if (s.end === undefined) return k === s.key;
  if (s.end === '\0') return k >= s.key;
  return s.key <= k && k < s.end;
}

const stats = { victims: 0, compacted: 0, progress: 0 };

function runModel(seed: number, steps: number): void {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const r = new Rig();
  const history: Event[] = [];
  const streams: { s: ServerWatchStream; out: FakeOutput; nextId: number }[] = [];
  for (let i = 0; i < 3; i++) streams.push({ ...r.stream(), nextId: 0 });
  const specs: Spec[] = [];
  // Each event's expected prev_kv: the key's value at revision-1, read when the write is made
  // (write events carry none; the watch layer reads it for the watchers that ask).
  const prevAt = new Map<string, KeyValue | undefined>();
  const record = (evs: Event[]): void => {
    for (const ev of evs)
      prevAt.set(`${ev.kv.mod_revision}:${ev.kv.key.toString('latin1')}`, r.readPrev(ev.kv.key, ev.kv.mod_revision - 1));
    history.push(...evs);
    r.hub.notify(evs);
  };

  for (let step = 0; step < steps; step++) {
    const x = rnd();
    if (x < 0.35) {
      const res = r.store.put({ key: b(pick(KEYS)), value: b(`v${step}`) });
      record(res.events);
    } else if (x < 0.42) {
      const k = pick(KEYS);
      const res = rnd() < 0.5 ? r.store.deleteRange({ key: b(k) }) : r.store.deleteRange({ key: b(k), range_end: b(pick(KEYS)) });
      record(res.events);
    } else if (x < 0.5) {
      const ks = [...KEYS].sort(() => rnd() - 0.5).slice(0, 2 + Math.floor(rnd() * 2));
      const res = r.store.txn({
        success: ks.map((k, i) =>
          i === 0 && rnd() < 0.4
            ? { request: 'request_delete_range' as const, request_delete_range: { key: b(k) } }
            : { request: 'request_put' as const, request_put: { key: b(k), value: b(`t${step}.${i}`) } },
        ),
      });
      record(res.events);
    } else if (x < 0.6) {
      const si = Math.floor(rnd() * streams.length);
      const st = streams[si]!;
      const cur = r.store.currentRevision;
      const startRev = rnd() < 0.3 ? 0 : Math.floor(rnd() * (cur + 3));
      const key = pick(KEYS);
      const shape = rnd();
      const end = shape < 0.5 ? undefined : shape < 0.7 ? '\0' : pick(KEYS.filter((k) => k > key).concat(['z']));
      const filters: string[] = [];
      const noPut = rnd() < 0.15;
      if (noPut) filters.push('NOPUT');
      else if (rnd() < 0.15) filters.push('NODELETE');
      const prevKv = rnd() < 0.4;
      st.s.handle(create({ key, ...(end !== undefined ? { end } : {}), rev: startRev, prevKv, filters }));
      specs.push({
        stream: si,
        id: st.nextId++,
        key,
        end,
        effStart: startRev === 0 || startRev > cur ? Math.max(cur + 1, startRev) : startRev,
        noPut: filters.includes('NOPUT'),
        noDelete: filters.includes('NODELETE'),
        prevKv,
      });
    } else if (x < 0.63) {
      const live = specs.filter((s) => s.canceledAt === undefined);
      if (live.length > 0) {
        const s = pick(live);
        s.canceledAt = r.store.currentRevision;
        streams[s.stream]!.s.handle(cancel(s.id));
      }
    } else if (x < 0.645) {
      const cur = r.store.currentRevision;
      const from = Math.max(r.store.compactRevision + 1, 1);
      if (from <= cur) r.store.compact(from + Math.floor(rnd() * (cur - from + 1)));
    } else if (x < 0.72) {
      const st = pick(streams);
      if (rnd() < 0.5) st.out.accepting = false;
      else st.out.drain();
    } else if (x < 0.95) {
      stats.victims += r.hub.victims.size;
      for (const st of streams) st.s.flush();
      r.sched.advance(Math.floor(rnd() * 120));
    } else {
      pick(streams).s.handle(progress());
    }
  }
  // Quiesce: every consumer reads again until the hub has nothing pending.
  for (let i = 0; i < 10_000; i++) {
    for (const st of streams) {
      st.out.drain();
      st.s.flush();
    }
    r.sched.advance(100);
    for (const st of streams) st.s.flush();
    if (r.hub.unsynced.size === 0 && r.hub.victims.size === 0 && r.sched.pending === 0) break;
  }
  assert.equal(r.hub.victims.size, 0, 'victims left');
  assert.equal(r.hub.unsynced.size, 0, 'unsynced left');

  const compactRev = r.store.compactRevision;
  for (let si = 0; si < streams.length; si++) {
    const sent = streams[si]!.out.sent;
    const mine = specs.filter((s) => s.stream === si);
    for (const spec of mine) {
      const tag = `seed ${seed} stream ${si} watcher ${spec.id} (${JSON.stringify({ ...spec })})`;
      const rs = sent.filter((x) => x.watch_id === String(spec.id));
      assert.ok(rs.length > 0 && rs[0]!.created === true, `${tag}: created first`);
      let got: string[] = [];
      let lastRev = 0;
      let compacted = false;
      for (const resp of rs.slice(1)) {
        // After a compaction cancel only the answer to a client cancel may follow (like etcd).
        assert.ok(
          !compacted || (resp.canceled === true && !resp.compact_revision && resp.events.length === 0),
          `${tag}: response after compaction cancel`,
        );
        if (resp.canceled && resp.compact_revision) {
          compacted = true;
          stats.compacted++;
          continue;
        }
        if (resp.canceled) continue;
        if (resp.events.length === 0) continue; // per-watcher progress
        const first = resp.events[0]!.kv.mod_revision;
        const last = resp.events[resp.events.length - 1]!.kv.mod_revision;
        assert.ok(first > lastRev, `${tag}: revision ${first} split or repeated (previous response ended at ${lastRev})`);
        assert.ok(resp.header.revision >= last, `${tag}: header revision ${resp.header.revision} < event ${last}`);
        lastRev = last;
        for (const e of resp.events) {
          got.push(`${e.type} ${e.kv.key.toString('latin1')}@${e.kv.mod_revision}=${e.kv.value.toString('latin1')}`);
          const hPrev = prevAt.get(`${e.kv.mod_revision}:${e.kv.key.toString('latin1')}`);
          const isCreate = e.type === 'PUT' && e.kv.create_revision === e.kv.mod_revision;
          if (!spec.prevKv || isCreate) assert.equal(e.prev_kv, undefined, `${tag}: unexpected prev_kv`);
          else if (e.prev_kv !== undefined) assert.equal(e.prev_kv.mod_revision, hPrev?.mod_revision, `${tag}: prev_kv`);
          else assert.ok(hPrev === undefined || e.kv.mod_revision - 1 < compactRev, `${tag}: prev_kv missing at ${e.kv.mod_revision}`);
        }
      }
      const upTo = spec.canceledAt ?? Infinity;
      const want = history
        .filter((e) => e.kv.mod_revision >= spec.effStart && e.kv.mod_revision <= upTo && inRange(spec, e.kv.key.toString('latin1')))
        .filter((e) => !(e.type === 'PUT' ? spec.noPut : spec.noDelete))
        .map((e) => `${e.type} ${e.kv.key.toString('latin1')}@${e.kv.mod_revision}=${e.kv.value.toString('latin1')}`);
      if (compacted || spec.canceledAt !== undefined) {
        got = got.slice(0, want.length);
        assert.deepEqual(got, want.slice(0, got.length), `${tag}: not a prefix of the history`);
        if (compacted) assert.ok(spec.effStart < compactRev, `${tag}: compacted although its start ${spec.effStart} >= ${compactRev}`);
      } else {
        assert.deepEqual(got, want, `${tag}: events differ from the history`);
      }
    }
    // Stream-wide: after a progress (-1) at P, watchers that existed then get no event <= P.
    const floor = new Map<string, number>();
    for (const resp of sent) {
      if (resp.watch_id === '-1' && !resp.created) {
        stats.progress++;
        for (const k of floor.keys()) floor.set(k, Math.max(floor.get(k)!, resp.header.revision));
      } else if (resp.created) {
        floor.set(resp.watch_id, 0);
      } else {
        for (const e of resp.events) {
          const f = floor.get(resp.watch_id) ?? 0;
          assert.ok(e.kv.mod_revision > f, `seed ${seed}: watcher ${resp.watch_id} got event ${e.kv.mod_revision} after progress ${f}`);
        }
      }
    }
  }
}

test('watch model: random histories, watchers, cancels, compactions and slow consumers', () => {
  const fixed = process.env.WATCH_SEED;
  const steps = Number(process.env.WATCH_STEPS ?? 1500);
  const runs = fixed !== undefined ? 1 : Number(process.env.WATCH_RUNS ?? 20);
  const base = fixed !== undefined ? Number(fixed) : (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0;
  for (let i = 0; i < runs; i++) {
    const seed = (base + i) >>> 0;
    try {
      runModel(seed, steps);
    } catch (e) {
      console.error(`watch model test failed: replay with WATCH_SEED=${seed} WATCH_STEPS=${steps}`);
      throw e;
    }
  }
  console.log(
    `watch model: ${runs} runs of ${steps} steps from seed ${base} (replay one with WATCH_SEED=<seed>); ${JSON.stringify(stats)}`,
  );
  if (runs >= 10) {
    // The interesting paths were taken: full buffers (victims), compaction cancels, progress.
    assert.ok(stats.victims > 0 && stats.compacted > 0 && stats.progress > 0, JSON.stringify(stats));
  }
});
