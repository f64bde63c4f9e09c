/**
 * StoreHooks.eventsWanted: while nobody takes every event (no synced watcher), a write's result
 * carries only the events of keys that had or get a lease (the lessor follows those), and what
 * is stored is the same: ranges and the history a later watcher reads do not change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, MvccStore, WriteResult } from '../../src/mvcc';
import { prng } from '../helpers/prng';
import { b, freshStore, plain } from './helpers';

const view = (evs: readonly Event[]): unknown => evs.map((e) => ({ type: e.type, kv: plain(e.kv), prev_lease: e.prev_lease ?? 0n }));

/** The events the lessor needs: a lease on either side of the change. */
const leased = (evs: readonly Event[]): Event[] =>
  evs.filter((e) => (e.prev_lease ?? 0n) !== 0n || (e.type === 'PUT' && e.kv.lease !== 0n));

/** One random write, its arguments drawn now (in this order), to run on either store. */
function randomOp(r: number, i: number, key: () => Buffer, lease: () => bigint): (s: MvccStore) => WriteResult<unknown> {
  if (r < 0.55) {
    const k = key();
    const l = lease();
    return (s) => s.put({ key: k, value: b(`v${i}`), lease: l });
  }
  if (r < 0.75) {
    const k = key();
    return (s) => s.deleteRange({ key: k, range_end: b('k9') });
  }
  if (r < 0.85) {
    const ks = [key(), key()];
    return (s) => s.deleteKeys(ks);
  }
  const k1 = key();
  const k2 = key();
  const l = lease();
  return (s) => s.txn({ success: [{ request_put: { key: k1, value: b('t'), lease: l } }, { request_delete_range: { key: k2 } }] });
}

test('without a taker, writes carry only the leased events and store the same', () => {
  const seed = Number(process.env.QUIET_EVENTS_SEED ?? Date.now() % 2 ** 31);
  console.log(`quiet-events seed ${seed} (QUIET_EVENTS_SEED to replay)`);
  const rnd = prng(seed);
  let wanted = false;
  const quiet = freshStore({ leaseExists: () => true, eventsWanted: () => wanted }).store;
  const full = freshStore({ leaseExists: () => true }).store;
  const key = (): Buffer => b(`k${Math.floor(rnd() * 12)}`);
  const lease = (): bigint => (rnd() < 0.3 ? BigInt(1 + Math.floor(rnd() * 3)) : 0n);
  let dropped = 0;
  for (let i = 0; i < 400; i++) {
    wanted = rnd() < 0.25;
    const op = randomOp(rnd(), i, key, lease);
    const got = op(quiet);
    const want = op(full);
    assert.deepEqual(got.response, want.response, `op ${i}`);
    assert.deepEqual(view(got.events), view(wanted ? want.events : leased(want.events)), `op ${i} (events wanted: ${wanted})`);
    dropped += want.events.length - got.events.length;
  }
  assert.ok(dropped > 0, 'some events were not built');
  assert.deepEqual(view(quiet.events(1)), view(full.events(1)), 'the history');
  const all = { key: b('\0'), range_end: b('\0') };
  assert.deepEqual(quiet.range(all).kvs.map(plain), full.range(all).kvs.map(plain));
});
