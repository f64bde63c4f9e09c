/**
 * Shapes shared by the watch hub (etcd's mvcc watchableStore) and the per-stream servers (etcd's
 * v3rpc serverWatchStream).
 */
import type { Event } from '../../../mvcc';

/** mvcc.WatchResponse: what the hub hands to a stream. */
export interface HubResponse {
  watchId: bigint;
  /** Revision-ordered events; empty for progress and compaction responses. */
  events: Event[];
  /** The revision the watcher has observed up to (header.revision). */
  revision: number;
  /** Non-zero: the watcher was canceled because its next revision was compacted. */
  compactRevision: number;
}

/**
 * Where a watcher's responses go: the stream's bounded buffer (etcd's per-stream chan of 128).
 * `trySend` NEVER blocks: it returns false when the buffer is full, and the hub keeps the
 * response (victim) until `WatchHub.kick()` says there may be room again.
 */
export interface WatchSink {
  trySend(r: HubResponse): boolean;
}

/** A timer source, injected so unit tests drive time by hand. */
export interface Scheduler {
  /** Runs fn once after ms (0 = as soon as the event loop is free). */
  schedule(fn: () => void, ms: number): { cancel(): void };
}

export const realScheduler: Scheduler = {
  schedule(fn, ms) {
    if (ms <= 0) {
      const h = setImmediate(fn);
      return { cancel: () => clearImmediate(h) };
    }
    const h = setTimeout(fn, ms);
    h.unref?.();
    return { cancel: () => clearTimeout(h) };
  },
};
