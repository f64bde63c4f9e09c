/**
 * Building wire WatchResponses from hub responses (etcd v3rpc sendLoop): full header, events
 * with prev_kv when the watcher asked for it.
 *
 * prev_kv: for every event except a create (PUT with create_revision == mod_revision), the key's
 * value at mod_revision-1. Live events carry it already (the store fills it at write time);
 * replayed ones read it from the store, and silently go without it when that revision is
 * compacted, like etcd.
 */
import type { Event, KeyValue } from '../../../mvcc';
import type { Header } from '../../wire/convert';
import type { HubResponse } from '../../engine/watch/types';

export interface WireEvent {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv?: KeyValue;
}

export interface WireWatchResponse {
  header: Header;
  watch_id: string;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: number;
  cancel_reason?: string;
  fragment?: boolean;
  events: WireEvent[];
  [field: string]: unknown;
}

export function isCreateEvent(e: Event): boolean {
  return e.type === 'PUT' && e.kv.create_revision === e.kv.mod_revision;
}

/** Reads a key at a revision; undefined when absent or compacted. */
export type PrevReader = (key: Buffer, rev: number) => KeyValue | undefined;

/** The prev_kv a watcher that asked for it gets with `e` (none for a create, none if compacted). */
export function prevKvFor(e: Event, readPrev: PrevReader): KeyValue | undefined {
  if (isCreateEvent(e)) return undefined;
  return e.prev_kv ?? readPrev(e.kv.key, e.kv.mod_revision - 1);
}

/** The prev_kv of an event, as resolved once (see WatchEncoder.prevOf). */
export type PrevOf = (e: Event) => KeyValue | undefined;

export function wireEvents(events: readonly Event[], withPrev: boolean, prevOf: PrevOf): WireEvent[] {
  return events.map((e) => {
    const prev = withPrev ? prevOf(e) : undefined;
    return prev === undefined ? { type: e.type, kv: e.kv } : { type: e.type, kv: e.kv, prev_kv: prev };
  });
}

export function hubResponseToWire(r: HubResponse, header: Header, withPrev: boolean, prevOf: PrevOf): WireWatchResponse {
  const wr: WireWatchResponse = { header, watch_id: r.watchId.toString(), events: wireEvents(r.events, withPrev, prevOf) };
  if (r.compactRevision !== 0) {
    wr.compact_revision = r.compactRevision;
    wr.canceled = true;
  }
  return wr;
}
