/**
 * Reading the store's history as events (etcd's `rangeEvents`/`kvsToEvents` in
 * watchable_store.go), for watchers that replay past revisions.
 *
 * Read-only over the {@link Engine} the store writes through: every kept revision record in
 * [from, to] whose key the caller wants becomes one event, in revision order (main, then sub =
 * op order inside a txn). A tombstone record becomes a DELETE whose kv has only key and
 * mod_revision, like the events of live deletes. prev_kv is NOT filled (the caller reads it at
 * mod_revision-1 when it needs it). Revisions below the compact revision may be partly or wholly
 * missing: callers check the compact revision first.
 */
import type { Engine } from './engine';
import { decodeRecord, REV_END, revKeyFloor } from './codec';
import type { Event } from './types';

/**
 * Events of main revisions from..to (inclusive) whose key passes `wanted` (given the latin1
 * key string, as the index uses). Empty when from > to.
 */
export function eventsInRange(engine: Engine, from: number, to: number, wanted: (key: string) => boolean): Event[] {
  const out: Event[] = [];
  if (from > to) return out;
  const end = Number.isFinite(to) ? revKeyFloor(to + 1) : REV_END;
  for (const [, rec] of engine.scan(revKeyFloor(Math.max(0, from)), end)) {
    const { kv, tombstone } = decodeRecord(rec);
    if (!wanted(kv.key.toString('latin1'))) continue;
    out.push(tombstone ? { type: 'DELETE', kv } : { type: 'PUT', kv });
  }
  return out;
}
