/**
 * One Watch gRPC stream on the server (etcd's v3rpc serverWatchStream + mvcc watchStream): many
 * watchers multiplexed on one bidi stream.
 *
 * Output is ONE FIFO queue holding control responses (created / canceled) and hub responses
 * (events, progress, compaction). A created response is queued before its watcher is registered
 * with the hub, so it always precedes the watcher's events. Hub responses are bounded:
 * at most STREAM_BUFFER_LEN of them wait here (etcd's chanBufLen); beyond that `trySend` says
 * no and the hub keeps the watcher as a victim. Control responses are bounded by pausing the
 * reading side when more than CTRL_BUFFER_LEN wait (etcd's ctrlStreamBufLen blocks recv).
 * Writes to gRPC honour backpressure (write() === false -> wait for drain).
 */
import type { Header } from '../grpc/convert';
import { fragmentResponse } from './fragment';
import type { WatchHub } from './hub';
import { hubResponseToWire, type PrevReader, type WireWatchResponse } from './response';
import type { Watcher } from './watcher';
import { INVALID_WATCH_ID, type HubResponse, type Scheduler, type WatchSink } from './types';
import { toSpan, KEY_MAX } from '../../mvcc';

export const STREAM_BUFFER_LEN = 128;
export const CTRL_BUFFER_LEN = 16;

/** mvcc's plain error texts (not rpctypes errors): sent as cancel_reason verbatim. */
export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
export const ERR_WATCHER_DUPLICATE_ID = 'mvcc: duplicate watch ID provided on the WatchStream';

/** What a stream needs from its member. */
export interface StreamEnv {
  hub: WatchHub;
  /** A full response header (cluster_id, member_id, raft_term) with this revision; default current. */
  header(revision?: number): Header;
  readPrev: PrevReader;
  /** Fragmentation limit: max-request-bytes + 512 KiB. */
  fragmentLimit: number;
  /** Encoded size of a WatchResponse object (for fragmentation). */
  encodedSize(o: object): number;
  /** The reason sent for a negative start_revision (etcd's ErrCompacted text). */
  compactedReason: string;
  /** Progress-notify interval in ms, jitter included. */
  progressIntervalMs: number;
  scheduler: Scheduler;
}

/** The gRPC side, abstracted so unit tests can use a fake. */
export interface StreamOutput {
  /** Writes one response; false = buffer full, wait for onDrain. */
  write(wr: WireWatchResponse): boolean;
  onceDrain(cb: () => void): void;
  /** Pause/resume reading requests (control-response backpressure). */
  setReading(on: boolean): void;
  /** Ends the call with an error (a response could not be built); the stream is closed. */
  fail(err: unknown): void;
}

/** Hub responses keep their watcher's options: a cancel may be processed before they are written. */
type Item = { ctrl: WireWatchResponse } | { hub: HubResponse; opts: WatcherOpts | undefined };

interface WatcherOpts {
  prevKv: boolean;
  fragment: boolean;
  progressNotify: boolean;
  /** progress_notify: no events sent since the last tick. */
  quiet: boolean;
}

type Wire = Record<string, unknown>;

export class ServerWatchStream implements WatchSink {
  private readonly env: StreamEnv;
  private readonly out: StreamOutput;
  private nextId = 0n;
  /** Every watcher the client may still cancel (compacted ones included, like etcd). */
  private readonly watchers = new Map<bigint, Watcher>();
  private readonly opts = new Map<bigint, WatcherOpts>();
  private readonly queue: Item[] = [];
  private hubItems = 0;
  private ctrlItems = 0;
  private refused = false;
  private writable = true;
  private flushing = false;
  private flushQueued = false;
  private reading = true;
  private closed = false;
  private ticker: { cancel(): void } | undefined;

  constructor(env: StreamEnv, out: StreamOutput) {
    this.env = env;
    this.out = out;
    this.armTicker();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Number of live watchers (tests, metrics). */
  get watcherCount(): number {
    return this.watchers.size;
  }

  /** One decoded WatchRequest. */
  handle(req: Wire): void {
    if (this.closed) return;
    switch (req.request_union) {
      case 'create_request':
        if (req.create_request) this.create(req.create_request as Wire);
        break;
      case 'cancel_request':
        if (req.cancel_request) this.cancel(BigInt((req.cancel_request as Wire).watch_id as string | number));
        break;
      case 'progress_request':
        if (req.progress_request) this.env.hub.progressAll([...this.watchers.values()]);
        break;
      default:
        break; // etcd ignores unknown request types
    }
  }

  private create(c: Wire): void {
    let key = (c.key as Buffer | undefined) ?? Buffer.alloc(0);
    if (key.length === 0) key = Buffer.from([0]);
    const startRev = Number(c.start_revision ?? 0);
    if (startRev < 0) {
      this.ctrl(this.invalidCreate(this.env.compactedReason));
      return;
    }
    const rangeEnd = (c.range_end as Buffer | undefined) ?? Buffer.alloc(0);
    const span = toSpan(key, rangeEnd);
    if (span.end !== undefined && span.end !== KEY_MAX && !(span.start < span.end)) {
      this.ctrl(this.invalidCreate(ERR_EMPTY_WATCHER_RANGE));
      return;
    }
    let id = BigInt((c.watch_id as string | number | undefined) ?? 0);
    if (id === 0n) {
      while (this.watchers.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.watchers.has(id)) {
      this.ctrl(this.invalidCreate(ERR_WATCHER_DUPLICATE_ID));
      return;
    }
    const filters = (c.filters as (string | number)[] | undefined) ?? [];
    const has = (name: string, num: number): boolean => filters.some((f) => f === name || f === num);
    const o: WatcherOpts = {
      prevKv: c.prev_kv === true,
      fragment: c.fragment === true,
      progressNotify: c.progress_notify === true,
      quiet: true,
    };
    // Created first: it must precede every response of this watcher.
    this.ctrl({ header: this.env.header(), watch_id: id.toString(), created: true, events: [] });
    const w = this.env.hub.watch(
      { id, key: span.start, end: span.end, startRev, noPut: has('NOPUT', 0), noDelete: has('NODELETE', 1) },
      this,
    );
    this.watchers.set(id, w);
    this.opts.set(id, o);
  }

  private invalidCreate(reason: string): WireWatchResponse {
    return {
      header: this.env.header(),
      watch_id: INVALID_WATCH_ID.toString(),
      created: true,
      canceled: true,
      cancel_reason: reason,
      events: [],
    };
  }

  private cancel(id: bigint): void {
    const w = this.watchers.get(id);
    if (w === undefined) return; // unknown id: no response, like etcd
    this.env.hub.cancel(w);
    this.watchers.delete(id);
    this.opts.delete(id);
    this.ctrl({ header: this.env.header(), watch_id: id.toString(), canceled: true, events: [] });
  }

  /** WatchSink: called by the hub. Never blocks. */
  trySend(r: HubResponse): boolean {
    if (this.closed) return true; // nothing to deliver any more; the hub drops the watcher soon
    if (this.hubItems >= STREAM_BUFFER_LEN) {
      this.refused = true;
      return false;
    }
    this.hubItems++;
    this.queue.push({ hub: r, opts: this.opts.get(r.watchId) });
    this.scheduleFlush();
    return true;
  }

  private ctrl(wr: WireWatchResponse): void {
    this.ctrlItems++;
    this.queue.push({ ctrl: wr });
    if (this.ctrlItems > CTRL_BUFFER_LEN && this.reading) {
      this.reading = false;
      this.out.setReading(false);
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued || this.flushing) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.safeFlush();
    });
  }

  /** flush() from a callback: an unexpected error ends this stream, never the process. */
  private safeFlush(): void {
    try {
      this.flush();
    } catch (e) {
      this.close();
      this.out.fail(e);
    }
  }

  /** Writes queued responses while gRPC accepts them. */
  flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.closed && this.writable && this.queue.length > 0) {
        const item = this.queue.shift()!;
        if ('ctrl' in item) {
          this.ctrlItems--;
          if (!this.reading && this.ctrlItems <= CTRL_BUFFER_LEN / 2) {
            this.reading = true;
            this.out.setReading(true);
          }
          this.writable = this.out.write(item.ctrl);
        } else {
          this.hubItems--;
          this.writeHub(item.hub, item.opts);
          if (this.refused) {
            this.refused = false;
            this.env.hub.kick();
          }
        }
      }
    } finally {
      this.flushing = false;
    }
    if (!this.closed && !this.writable) {
      this.out.onceDrain(() => {
        this.writable = true;
        this.safeFlush();
      });
    }
  }

  private writeHub(r: HubResponse, o: WatcherOpts | undefined): void {
    const wr = hubResponseToWire(r, this.env.header(r.revision), o?.prevKv === true, this.env.readPrev);
    if (o?.fragment === true) {
      for (const part of fragmentResponse(wr, this.env.fragmentLimit, this.env.encodedSize)) {
        this.writable = this.out.write(part) && this.writable;
      }
    } else {
      this.writable = this.out.write(wr);
    }
    if (o !== undefined && r.events.length > 0) o.quiet = false;
  }

  /** etcd's progress ticker: a quiet, synced progress_notify watcher gets a progress response. */
  private armTicker(): void {
    if (this.env.progressIntervalMs <= 0) return;
    this.ticker = this.env.scheduler.schedule(() => {
      this.ticker = undefined;
      if (this.closed) return;
      this.tick();
      this.armTicker();
    }, this.env.progressIntervalMs);
  }

  /** One progress tick (public for tests). */
  tick(): void {
    for (const [id, o] of this.opts) {
      if (!o.progressNotify) continue;
      const w = this.watchers.get(id);
      if (o.quiet && w !== undefined) this.env.hub.progress(w);
      o.quiet = true;
    }
  }

  /** Ends the stream: cancels every watcher and drops what was not written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    this.ticker = undefined;
    for (const w of this.watchers.values()) this.env.hub.cancel(w);
    this.watchers.clear();
    this.opts.clear();
    this.queue.length = 0;
    this.hubItems = 0;
    this.ctrlItems = 0;
  }
}
