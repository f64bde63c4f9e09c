/**
 * One watcher (etcd's mvcc `watcher`): a key or key range, the revision it starts at, the
 * next revision it still needs (`minRev`), its filters and the sink of its stream.
 */
import type { Event } from '../../../mvcc';
import type { HubResponse, WatchSink } from './types';

export interface WatcherSpec {
  id: bigint;
  /** latin1 key string (the index's key form). */
  key: string;
  /** undefined: the single key `key`; otherwise the half-open range [key, end) (KEY_MAX = all >= key). */
  end: string | undefined;
  /** 0 = from the next revision; otherwise the first revision wanted. */
  startRev: number;
  noPut: boolean;
  noDelete: boolean;
}

export class Watcher {
  readonly id: bigint;
  readonly key: string;
  readonly end: string | undefined;
  readonly startRev: number;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly sink: WatchSink;
  /** The lowest revision this watcher still has to be told about. */
  minRev: number;
  /** Its stream's buffer was full: `pending` waits to be delivered (etcd's victim batch). */
  victim = false;
  pending: HubResponse | undefined;
  /** Removed from the hub because its next revision was compacted. */
  compacted = false;
  canceled = false;
  /** The hub's per-call scratch list while it groups one batch of events by watcher. */
  scratch: Event[] | undefined;

  constructor(spec: WatcherSpec, sink: WatchSink) {
    this.id = spec.id;
    this.key = spec.key;
    this.end = spec.end;
    this.startRev = spec.startRev;
    this.minRev = spec.startRev;
    this.noPut = spec.noPut;
    this.noDelete = spec.noDelete;
    this.sink = sink;
  }

  contains(k: string): boolean {
    return this.end === undefined ? k === this.key : this.key <= k && k < this.end;
  }

  /** The events that pass this watcher's filters (the same array when nothing is filtered). */
  filter(events: Event[]): Event[] {
    if (!this.noPut && !this.noDelete) return events;
    return events.filter((e) => (e.type === 'PUT' ? !this.noPut : !this.noDelete));
  }

  /**
   * etcd's watcher.send: filters; a response whose events were all filtered out is not sent and
   * counts as delivered; otherwise false means the stream's buffer is full.
   */
  send(r: HubResponse): boolean {
    const progress = r.events.length === 0;
    const events = this.filter(r.events);
    if (!progress && events.length === 0) return true;
    return this.sink.trySend(events === r.events ? r : { ...r, events });
  }
}
