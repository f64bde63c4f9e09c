/**
 * The member's watch hub (etcd's watchableStore): every watcher of every stream, in one of
 * three states.
 *
 * - synced: has seen every revision up to the current one. `notify` (called synchronously by
 *   the applier after each write, in apply order) queues the new revision's events; the fan-out
 *   runs in a macrotask of its own once the write's answer has left (`whenQuiet`), so a writer
 *   never waits for 10,000 watchers (etcd's watchableStore.notify runs inside the write's
 *   commit). Each synced watcher gets ONE response per revision, so a revision is never split.
 *   Every method that reads the current revision or moves watchers into the synced group first
 *   finishes the queued fan-out (`drain`), so "synced" keeps meaning "owed nothing below
 *   current + 1".
 * - unsynced: still needs revisions <= current (it started in the past, or fell behind). The
 *   sync job reads them from the MVCC history, at most MAX_REVS_PER_SYNC revisions and
 *   MAX_WATCHERS_PER_SYNC watchers per round, each round in its own macrotask so writes are
 *   never blocked for long. A watcher whose next revision was compacted gets one response with
 *   compact_revision and leaves the hub.
 * - victim: its stream's buffer was full. It holds exactly the one response it could not
 *   deliver (so memory stays bounded) and gets no new events; when the stream has room
 *   (`kick`), the response is delivered and the watcher goes back to unsynced (it missed
 *   revisions meanwhile) or synced.
 *
 * Invariants: a watcher is in at most one of the three; every revision >= its start is delivered
 * exactly once and in order, because `minRev` only grows and each path only sends events with
 * mod_revision >= minRev before advancing it.
 */
import type { Engine, Event } from '../../../mvcc';
import { eventsInRange } from '../../../mvcc/history';
import { Watcher, type WatcherSpec } from './watcher';
import { WatcherGroup } from './watcher-group';
import { realScheduler, type HubResponse, type Scheduler, type WatchSink } from './types';
import { INVALID_WATCH_ID } from '../../wire/watch-ids';

/** etcd's watchBatchMaxRevs: revisions per catch-up response. */
export const MAX_REVS_PER_SYNC = 1000;
/** etcd's maxWatchersPerSync. */
export const MAX_WATCHERS_PER_SYNC = 512;
/** etcd's watchResyncPeriod: retry delay when a sync round made no progress. */
export const RESYNC_PERIOD_MS = 100;
/** Retry delay for victims whose streams stay full (etcd's syncVictimsLoop tick). */
export const VICTIM_RETRY_MS = 10;
/** Watcher deliveries per fan-out macrotask before yielding to I/O (about 2 ms; checked between revisions, never splitting one). */
export const FANOUT_BUDGET = 10_000;

/** What the hub reads from the store. */
export interface HubStore {
  readonly currentRevision: number;
  readonly compactRevision: number;
}

export interface HubDeps {
  store: HubStore;
  engine: Engine;
  scheduler?: Scheduler;
  /** Deliveries per fan-out macrotask (default FANOUT_BUDGET). */
  fanoutBudget?: number;
  /** Runs a fan-out once the answers being sent have left (answers-in-flight.ts): the write is answered first. Default: at 0 ms. */
  whenQuiet?: (fn: () => void) => { cancel(): void };
}

export class WatchHub {
  private readonly store: HubStore;
  private readonly engine: Engine;
  readonly scheduler: Scheduler; // streams schedule their flushes on it too
  private readonly fanoutBudget: number;
  private readonly whenQuiet: (fn: () => void) => { cancel(): void };
  readonly synced = new WatcherGroup();
  readonly unsynced = new WatcherGroup();
  readonly victims = new Set<Watcher>();
  /** Open Watch streams (etcd_debugging_mvcc_watch_stream_total); kept by the Watch service. */
  streams = 0;
  private syncTimer: { cancel(): void } | undefined;
  private victimTimer: { cancel(): void } | undefined;
  private fanoutTimer: { cancel(): void } | undefined;
  /** Revisions applied but not yet handed to the synced watchers, oldest first, from `head`. */
  private readonly pending: Event[][] = [];
  private head = 0;
  private closed = false;

  constructor(deps: HubDeps) {
    this.store = deps.store;
    this.engine = deps.engine;
    this.scheduler = deps.scheduler ?? realScheduler;
    this.fanoutBudget = deps.fanoutBudget ?? FANOUT_BUDGET;
    this.whenQuiet = deps.whenQuiet ?? ((fn) => this.scheduler.schedule(fn, 0));
  }

  /** Creates a watcher: synced when it starts in the future (or at 0), unsynced otherwise. */
  watch(spec: WatcherSpec, sink: WatchSink): Watcher {
    this.drain();
    const w = new Watcher(spec, sink);
    const cur = this.store.currentRevision;
    if (spec.startRev === 0 || spec.startRev > cur) {
      w.minRev = Math.max(cur + 1, spec.startRev);
      this.synced.add(w);
    } else {
      this.unsynced.add(w);
      this.scheduleSync(0);
    }
    return w;
  }

  /** Removes a watcher from wherever it is. Idempotent. */
  cancel(w: Watcher): void {
    if (w.canceled) return;
    w.canceled = true;
    if (!this.synced.delete(w)) this.unsynced.delete(w);
    if (this.victims.delete(w)) {
      w.victim = false;
      w.pending = undefined;
    }
  }

  get watcherCount(): number {
    return this.synced.size + this.unsynced.size + this.victims.size;
  }

  /**
   * Whether the next revision's events are owed: not with nobody synced (a watcher created or
   * synced later drains first, then starts above the current revision or reads the history).
   */
  get wantsEvents(): boolean {
    return this.synced.size > 0 || this.head !== this.pending.length;
  }

  /**
   * The events of ONE new revision, in op order. Called by the applier after each write; the
   * synced watchers get them in a later macrotask (or earlier, from `drain`), in this order.
   */
  notify(events: Event[]): void {
    if (events.length === 0 || !this.wantsEvents) return;
    this.pending.push(events);
    if (this.fanoutTimer === undefined && !this.closed) this.fanoutTimer = this.whenQuiet(this.runFanout);
  }

  /** Hands every queued revision to the synced watchers now. */
  drain(): void {
    if (this.head === this.pending.length) return;
    this.fanoutTimer?.cancel();
    this.fanoutTimer = undefined;
    this.fanOut(Infinity);
  }

  /** Queued revisions still to fan out (for tests and metrics). */
  get pendingRevisions(): number {
    return this.pending.length - this.head;
  }

  /** One scheduled fan-out macrotask. */
  private readonly runFanout = (): void => {
    this.fanoutTimer = undefined;
    this.fanOut(this.fanoutBudget);
  };

  /** Fans out queued revisions until about `budget` deliveries are done; reschedules the rest. */
  private fanOut(budget: number): void {
    let done = 0;
    while (this.head < this.pending.length && done < budget) {
      const evs = this.pending[this.head]!;
      this.pending[this.head++] = undefined as unknown as Event[];
      done += this.deliver(evs);
    }
    if (this.head < this.pending.length) {
      if (!this.closed) this.fanoutTimer = this.scheduler.schedule(this.runFanout, 0);
    } else {
      this.pending.length = 0;
      this.head = 0;
    }
  }

  /** One revision to every synced watcher that watches it; returns how many got a response. */
  private deliver(events: Event[]): number {
    if (this.synced.size === 0) return 0;
    const rev = events[0]!.kv.mod_revision;
    let n = 0;
    const deliver = (w: Watcher, evs: Event[]): void => {
      n++;
      const r: HubResponse = { watchId: w.id, events: evs, revision: rev, compactRevision: 0 };
      if (!w.send(r)) {
        this.synced.delete(w);
        this.makeVictim(w, r);
      }
      w.minRev = rev + 1;
    };
    if (events.length === 1) {
      // The common case: every watcher gets the same one-event array (never mutated).
      this.synced.forEachWatching(events[0]!.kv.key.toString('latin1'), (w) => {
        if (rev >= w.minRev) deliver(w, events);
      });
      return n;
    }
    for (const [w, evs] of collectPerWatcher(this.synced, events)) deliver(w, evs);
    return n;
  }

  /**
   * A stream's buffer has room again: retry its victims soon. Streams call this whenever they
   * drain below capacity; cheap when there are no victims.
   */
  kick(): void {
    if (this.victims.size > 0) this.scheduleVictims(0);
  }

  /**
   * A progress response for `w` if it is synced (and its start revision is not in the future).
   * etcd's watchableStore.progress.
   */
  progress(w: Watcher): boolean {
    return this.progressIfSync([w], w.id);
  }

  /**
   * One progress response with watch_id -1 when ALL the given watchers (one stream's) are synced,
   * sent through the first watcher's sink. True also when there are no watchers (nothing sent).
   */
  progressAll(ws: readonly Watcher[]): boolean {
    return this.progressIfSync(ws, INVALID_WATCH_ID);
  }

  private progressIfSync(ws: readonly Watcher[], responseId: bigint): boolean {
    this.drain();
    const rev = this.store.currentRevision;
    for (const w of ws) {
      if (!this.synced.has(w) || rev < w.startRev) return false;
    }
    const first = ws[0];
    if (first !== undefined) first.sink.trySend({ watchId: responseId, events: [], revision: rev, compactRevision: 0 });
    return true;
  }

  /**
   * One sync round (etcd's syncWatchers): brings up to MAX_WATCHERS_PER_SYNC unsynced watchers
   * forward by up to MAX_REVS_PER_SYNC revisions. Returns how many watchers left the unsynced
   * group (progress), and schedules the next round itself.
   */
  syncWatchers(): number {
    if (this.unsynced.size === 0) return 0;
    this.drain();
    const before = this.unsynced.size;
    const cur = this.store.currentRevision;
    const compactRev = this.store.compactRevision;

    const chosen: Watcher[] = [];
    let minRev = Infinity;
    for (const w of this.unsynced.watchers) {
      if (chosen.length >= MAX_WATCHERS_PER_SYNC) break;
      if (w.minRev < compactRev) {
        // Its next revision is gone: tell it once and drop it (retry later if the buffer is full).
        // Like etcd, this response carries header.revision 0.
        if (w.sink.trySend({ watchId: w.id, events: [], revision: 0, compactRevision: compactRev })) {
          w.compacted = true;
          this.unsynced.delete(w);
        }
        continue;
      }
      chosen.push(w);
      if (w.minRev < minRev) minRev = w.minRev;
    }

    if (chosen.length > 0) {
      const upTo = Math.min(cur, minRev + MAX_REVS_PER_SYNC - 1);
      const group = chosen.length === this.unsynced.size ? this.unsynced : groupOf(chosen);
      const evs = eventsInRange(this.engine, minRev, upTo, (k) => group.contains(k));
      const batches = new Map(collectPerWatcher(group, evs));
      for (const w of chosen) {
        if (w.minRev > cur) {
          // Only after a restore: nothing to read yet.
          this.unsynced.delete(w);
          this.synced.add(w);
          continue;
        }
        if (w.minRev > upTo) continue; // starts after this round's window
        w.minRev = upTo + 1;
        const evsW = batches.get(w);
        if (evsW !== undefined) {
          const r: HubResponse = { watchId: w.id, events: evsW, revision: upTo, compactRevision: 0 };
          if (!w.send(r)) {
            this.unsynced.delete(w);
            this.makeVictim(w, r);
            continue;
          }
        }
        if (w.minRev > cur) {
          this.unsynced.delete(w);
          this.synced.add(w);
        }
      }
    }

    const left = this.unsynced.size;
    if (left > 0) this.scheduleSync(left < before || chosen.length > 0 ? 0 : RESYNC_PERIOD_MS);
    return before - left;
  }

  /** Retries every victim once (etcd's moveVictims). Returns how many were delivered. */
  moveVictims(): number {
    this.drain();
    let moved = 0;
    const cur = this.store.currentRevision;
    for (const w of [...this.victims]) {
      const r = w.pending!;
      if (!w.send(r)) continue;
      moved++;
      this.victims.delete(w);
      w.victim = false;
      w.pending = undefined;
      if (w.minRev <= cur) {
        this.unsynced.add(w);
        this.scheduleSync(0);
      } else {
        this.synced.add(w);
      }
    }
    if (this.victims.size > 0) this.scheduleVictims(VICTIM_RETRY_MS);
    return moved;
  }

  /**
   * The store was replaced wholesale (a snapshot from the leader was installed): every synced
   * watcher may have missed revisions, so all of them catch up from the history again (etcd's
   * watchableStore.Restore). Call after the new store is in place, before new events.
   */
  restore(): void {
    this.drain();
    for (const w of [...this.synced.watchers]) {
      this.synced.delete(w);
      this.unsynced.add(w);
    }
    if (this.unsynced.size > 0) this.scheduleSync(0);
  }

  /** Stops the hub's timers (watchers stay; their streams are closed by the server). */
  close(): void {
    this.closed = true;
    this.syncTimer?.cancel();
    this.victimTimer?.cancel();
    this.fanoutTimer?.cancel();
    this.syncTimer = undefined;
    this.victimTimer = undefined;
    this.fanoutTimer = undefined;
  }

  private makeVictim(w: Watcher, r: HubResponse): void {
    w.victim = true;
    w.pending = r;
    this.victims.add(w);
    this.scheduleVictims(VICTIM_RETRY_MS);
  }

  private scheduleSync(ms: number): void {
    if (this.closed || this.syncTimer !== undefined) return;
    this.syncTimer = this.scheduler.schedule(() => {
      this.syncTimer = undefined;
      this.syncWatchers();
    }, ms);
  }

  private scheduleVictims(ms: number): void {
    if (this.closed) return;
    if (this.victimTimer !== undefined) {
      if (ms > 0) return;
      this.victimTimer.cancel();
    }
    this.victimTimer = this.scheduler.schedule(() => {
      this.victimTimer = undefined;
      this.moveVictims();
    }, ms);
  }
}

function groupOf(ws: readonly Watcher[]): WatcherGroup {
  const g = new WatcherGroup();
  for (const w of ws) g.add(w);
  return g;
}

/**
 * Each watcher of the group with the events (in order) it watches at or after its minRev, in the
 * order watchers were first touched. Uses the watchers' scratch slot instead of a map.
 */
function collectPerWatcher(group: WatcherGroup, events: readonly Event[]): [Watcher, Event[]][] {
  const touched: Watcher[] = [];
  for (const ev of events) {
    group.forEachWatching(ev.kv.key.toString('latin1'), (w) => {
      if (ev.kv.mod_revision < w.minRev) return;
      if (w.scratch === undefined) {
        w.scratch = [ev];
        touched.push(w);
      } else {
        w.scratch.push(ev);
      }
    });
  }
  return touched.map((w) => {
    const evs = w.scratch!;
    w.scratch = undefined;
    return [w, evs];
  });
}
