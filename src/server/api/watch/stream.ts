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
 * Writes to gRPC honour backpressure (write() === false -> wait for drain). A flush encodes
 * what is queued into one buffer of gRPC frames (up to MAX_BATCH_BYTES) and writes it at once:
 * per-write costs in grpc-js and HTTP/2 are paid per flush, not per response.
 */
import type { Header } from '../../wire/convert';
import { fragmentResponse } from './fragment';
import type { WatchHub } from '../../engine/watch/hub';
import { FrameWriter } from '../../wire/watch-frames';
import type { FlushQueue } from './flush-queue';
import { hubResponseToWire, type WireWatchResponse } from './response';
import { watchIdField, type WatchEncoder } from './wire-encoder';
import type { Watcher } from '../../engine/watch/watcher';
import type { HubResponse, Scheduler, WatchSink } from '../../engine/watch/types';
import { INVALID_WATCH_ID } from '../../wire/watch-ids';
import { toSpan, KEY_MAX } from '../../../mvcc';

export const STREAM_BUFFER_LEN = 128;
export const CTRL_BUFFER_LEN = 16;
/** Bytes of frames gathered before they are handed to gRPC in one write. */
export const MAX_BATCH_BYTES = 256 * 1024;

/** mvcc's plain error texts (not rpctypes errors): sent as cancel_reason verbatim. */
export const ERR_EMPTY_WATCHER_RANGE = 'mvcc: watcher range is empty';
export const ERR_WATCHER_DUPLICATE_ID = 'mvcc: duplicate watch ID provided on the WatchStream';

/** What a stream needs from its member. */
export interface StreamEnv {
  hub: WatchHub;
  /** A full response header (cluster_id, member_id, raft_term) with this revision; default current. */
  header(revision?: number): Header;
  /** Fragmentation limit: max-request-bytes + 512 KiB. */
  fragmentLimit: number;
  /** A WatchResponse object's protobuf bytes (control and fragmented responses). */
  encodeObject(o: object): Buffer;
  /** Hub responses' bytes (events encoded once for all watchers). */
  encoder: WatchEncoder;
  /** The encoded header for this revision (cached by the caller). */
  headerBytes(revision: number): Buffer;
  /**
   * etcd's isWatchPermitted, for each create request: the cancel reason when the stream's user
   * may not read the range (auth enabled), else undefined.
   */
  authorize?(key: Buffer, rangeEnd: Buffer): string | undefined;
  /** The reason sent for a negative start_revision (etcd's ErrCompacted text). */
  compactedReason: string;
  /** Where the stream queues itself to be flushed (shared by the member's streams). */
  flushQueue: FlushQueue;
  /** Progress-notify interval in ms, jitter included. */
  progressIntervalMs: number;
  scheduler: Scheduler;
}

/** The gRPC side, abstracted so unit tests can use a fake. */
export interface StreamOutput {
  /** Writes one or more gRPC frames (see frames.ts); false = buffer full, wait for onDrain. */
  write(frames: Buffer): boolean;
  onceDrain(cb: () => void): void;
  /** Pause/resume reading requests (control-response backpressure). */
  setReading(on: boolean): void;
  /** Ends the call with an error (a response could not be built); the stream is closed. */
  fail(err: unknown): void;
}

/**
 * The stream's record of one watcher, and that watcher's sink: the hub hands responses to it,
 * so the hot path needs no lookup by id. Queued responses keep their entry (and so their
 * options) even when a cancel is processed before they are written.
 */
class WatcherEntry implements WatchSink {
  watcher: Watcher | undefined;
  /** watch_id as encoded in a response (field 2), computed once. */
  readonly idField: Buffer;
  /** progress_notify: no events sent since the last tick. */
  quiet = true;

  constructor(
    private readonly stream: ServerWatchStream,
    readonly id: bigint,
    readonly prevKv: boolean,
    readonly fragment: boolean,
    readonly progressNotify: boolean,
  ) {
    this.idField = watchIdField(id);
  }

  trySend(r: HubResponse): boolean {
    return this.stream.enqueue(r, this);
  }
}

type Wire = Record<string, unknown>;

export class ServerWatchStream {
  private readonly env: StreamEnv;
  private readonly out: StreamOutput;
  private nextId = 0n;
  /** Every watcher the client may still cancel (compacted ones included, like etcd). */
  private readonly entries = new Map<bigint, WatcherEntry>();
  /**
   * The output queue, as two parallel arrays read from `head`: a hub response with its entry,
   * or a control response with null.
   */
  private readonly queue: (HubResponse | WireWatchResponse)[] = [];
  private readonly queueEntries: (WatcherEntry | null)[] = [];
  private head = 0;
  private hubItems = 0;
  private ctrlItems = 0;
  private refused = false;
  private writable = true;
  private flushing = false;
  private flushQueued = false;
  private reading = true;
  private closed = false;
  private ticker: { cancel(): void } | undefined;
  private readonly batch = new FrameWriter();

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
    return this.entries.size;
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
        if (req.progress_request) this.env.hub.progressAll(this.liveWatchers());
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
    const denied = this.env.authorize?.(key, rangeEnd);
    if (denied !== undefined) {
      this.ctrl(this.invalidCreate(denied));
      return;
    }
    const span = toSpan(key, rangeEnd);
    if (span.end !== undefined && span.end !== KEY_MAX && !(span.start < span.end)) {
      this.ctrl(this.invalidCreate(ERR_EMPTY_WATCHER_RANGE));
      return;
    }
    let id = BigInt((c.watch_id as string | number | undefined) ?? 0);
    if (id === 0n) {
      while (this.entries.has(this.nextId)) this.nextId++;
      id = this.nextId++;
    } else if (this.entries.has(id)) {
      this.ctrl(this.invalidCreate(ERR_WATCHER_DUPLICATE_ID));
      return;
    }
    const filters = (c.filters as (string | number)[] | undefined) ?? [];
    const has = (name: string, num: number): boolean => filters.some((f) => f === name || f === num);
    // The stream's other watchers first get what the hub still has queued for revisions up to
    // the one this created response names.
    this.env.hub.drain();
    // Created first: it must precede every response of this watcher.
    this.ctrl({ header: this.env.header(), watch_id: id.toString(), created: true, events: [] });
    const entry = new WatcherEntry(this, id, c.prev_kv === true, c.fragment === true, c.progress_notify === true);
    this.entries.set(id, entry);
    entry.watcher = this.env.hub.watch(
      { id, key: span.start, end: span.end, startRev, noPut: has('NOPUT', 0), noDelete: has('NODELETE', 1) },
      entry,
    );
  }

  private liveWatchers(): Watcher[] {
    const ws: Watcher[] = [];
    for (const e of this.entries.values()) if (e.watcher !== undefined) ws.push(e.watcher);
    return ws;
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
    const e = this.entries.get(id);
    if (e === undefined) return; // unknown id: no response, like etcd
    if (e.watcher !== undefined) this.env.hub.cancel(e.watcher);
    this.entries.delete(id);
    this.ctrl({ header: this.env.header(), watch_id: id.toString(), canceled: true, events: [] });
  }

  /** A watcher's sink (its entry) hands over a hub response. Never blocks. */
  enqueue(r: HubResponse, entry: WatcherEntry): boolean {
    if (this.closed) return true; // nothing to deliver any more; the hub drops the watcher soon
    // prev_kv of replayed events is read now, also for a response refused here (the hub keeps
    // it as a victim's), not when it is finally written (see WatchEncoder.prevOf).
    if (entry.prevKv) for (const e of r.events) this.env.encoder.prevOf(e);
    if (this.hubItems >= STREAM_BUFFER_LEN) {
      this.refused = true;
      return false;
    }
    this.hubItems++;
    this.queue.push(r);
    this.queueEntries.push(entry);
    this.scheduleFlush();
    return true;
  }

  private ctrl(wr: WireWatchResponse): void {
    this.ctrlItems++;
    this.queue.push(wr);
    this.queueEntries.push(null);
    if (this.ctrlItems > CTRL_BUFFER_LEN && this.reading) {
      this.reading = false;
      this.out.setReading(false);
    }
    this.scheduleFlush();
  }

  /**
   * Flushes from the member's flush queue, in a later macrotask (not a microtask): the write
   * that produced the events answers its client first, the events of every revision applied
   * meanwhile go out in one batch, and many ready streams do not hold the event loop at once.
   */
  private scheduleFlush(): void {
    if (this.flushQueued || this.flushing) return;
    this.flushQueued = true;
    this.env.flushQueue.add(this);
  }

  /** Flushable: called by the flush queue. */
  runFlush(): number {
    this.flushQueued = false;
    return this.safeFlush();
  }

  /** flush() from a callback: an unexpected error ends this stream, never the process. */
  private safeFlush(): number {
    try {
      return this.flush();
    } catch (e) {
      this.close();
      this.out.fail(e);
      return 0;
    }
  }

  /** Writes queued responses while gRPC accepts them, a batch of frames per write; returns how many. */
  flush(): number {
    if (this.flushing) return 0;
    this.flushing = true;
    let written = 0;
    try {
      const q = this.queue;
      const qe = this.queueEntries;
      while (!this.closed && this.writable && this.head < q.length) {
        const batch = this.batch;
        const start = this.head;
        while (this.head < q.length && batch.length < MAX_BATCH_BYTES) {
          const item = q[this.head]!;
          const entry = qe[this.head]!;
          this.head++;
          if (entry === null) {
            this.ctrlItems--;
            if (!this.reading && this.ctrlItems <= CTRL_BUFFER_LEN / 2) {
              this.reading = true;
              this.out.setReading(true);
            }
            batch.message(this.env.encodeObject(item));
          } else {
            this.hubItems--;
            this.encodeHub(batch, item as HubResponse, entry);
          }
        }
        written += this.head - start;
        if (this.head === q.length) {
          q.length = 0;
          qe.length = 0;
          this.head = 0;
        }
        if (this.refused) {
          this.refused = false;
          this.env.hub.kick();
        }
        this.writable = this.out.write(batch.take());
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
    return written;
  }

  private encodeHub(batch: FrameWriter, r: HubResponse, entry: WatcherEntry): void {
    if (entry.fragment && r.events.length > 1) {
      const wr = hubResponseToWire(r, this.env.header(r.revision), entry.prevKv, (e) => this.env.encoder.prevOf(e));
      const size = (x: object): number => this.env.encodeObject(x).length;
      for (const part of fragmentResponse(wr, this.env.fragmentLimit, size)) batch.message(this.env.encodeObject(part));
    } else {
      // A stream-wide progress response (-1) goes through the first watcher's entry.
      const idField = r.watchId === entry.id ? entry.idField : watchIdField(r.watchId);
      this.env.encoder.writeHub(batch, r, this.env.headerBytes(r.revision), idField, entry.prevKv);
    }
    if (r.events.length > 0) entry.quiet = false;
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
    for (const e of this.entries.values()) {
      if (!e.progressNotify) continue;
      if (e.quiet && e.watcher !== undefined) this.env.hub.progress(e.watcher);
      e.quiet = true;
    }
  }

  /** Ends the stream: cancels every watcher and drops what was not written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    this.ticker = undefined;
    for (const e of this.entries.values()) if (e.watcher !== undefined) this.env.hub.cancel(e.watcher);
    this.entries.clear();
    this.queue.length = 0;
    this.queueEntries.length = 0;
    this.head = 0;
    this.hubItems = 0;
    this.ctrlItems = 0;
  }
}
