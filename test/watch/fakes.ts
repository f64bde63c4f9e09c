/**
 * Fakes for watch unit tests: a hand-driven scheduler, a gRPC output that records what it was
 * given (and can refuse, like a full socket), and a store+hub+stream rig over MemoryEngine.
 */
import { MemoryEngine, MvccStore, type Event, type KeyValue } from '../../src/mvcc';
import { WatchHub } from '../../src/server/engine/watch/hub';
import { ServerWatchStream, type StreamEnv, type StreamOutput } from '../../src/server/api/watch/stream';
import type { WireWatchResponse } from '../../src/server/api/watch/response';
import type { Scheduler } from '../../src/server/engine/watch/types';
import { method } from '../../src/server/wire/protos';
import { isEtcdError } from '../../src/errors';
import { splitFrames } from '../../src/server/wire/watch-frames';
import { FlushQueue } from '../../src/server/api/watch/flush-queue';
import { WatchEncoder } from '../../src/server/api/watch/wire-encoder';
import { encodeHeader } from '../../src/server/wire/kv-proto';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Task {
  fn: () => void;
  at: number;
  cancelled: boolean;
}

export class FakeScheduler implements Scheduler {
  now = 0;
  private tasks: Task[] = [];

  schedule(fn: () => void, ms: number): { cancel(): void } {
    const t: Task = { fn, at: this.now + ms, cancelled: false };
    this.tasks.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  get pending(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  /** Runs due tasks (and those they schedule that are due) until none is left; max guards loops. */
  runDue(max = 100_000): number {
    let n = 0;
    for (;;) {
      const due = this.tasks.filter((t) => !t.cancelled && t.at <= this.now);
      if (due.length === 0) return n;
      this.tasks = this.tasks.filter((t) => !due.includes(t) && !t.cancelled);
      for (const t of due) {
        t.fn();
        if (++n > max) throw new Error('FakeScheduler: too many tasks (loop?)');
      }
    }
  }

  /** Runs the tasks due now once, not those they schedule. */
  runOnce(): number {
    const due = this.tasks.filter((t) => !t.cancelled && t.at <= this.now);
    this.tasks = this.tasks.filter((t) => !due.includes(t) && !t.cancelled);
    for (const t of due) t.fn();
    return due.length;
  }

  advance(ms: number): number {
    this.now += ms;
    return this.runDue();
  }
}

export class FakeOutput implements StreamOutput {
  readonly sent: WireWatchResponse[] = [];
  /** write() calls (one per flushed batch). */
  writes = 0;
  /** When false, write() still records but returns false (socket buffer full). */
  accepting = true;
  reading = true;
  private drainCbs: (() => void)[] = [];

  /** Frames as a client receives them: split, decoded, numbers made numbers again. */
  write(frames: Buffer): boolean {
    this.writes++;
    for (const body of splitFrames(frames)) this.sent.push(decodeResponse(body));
    return this.accepting;
  }

  onceDrain(cb: () => void): void {
    this.drainCbs.push(cb);
  }

  setReading(on: boolean): void {
    this.reading = on;
  }

  failed: unknown;
  fail(err: unknown): void {
    this.failed = err;
  }

  drain(): void {
    this.accepting = true;
    const cbs = this.drainCbs;
    this.drainCbs = [];
    for (const cb of cbs) cb();
  }

  take(): WireWatchResponse[] {
    return this.sent.splice(0);
  }
}

const watchMethod = method('etcdserverpb.Watch', 'Watch');
const serialize = watchMethod.responseSerialize;

type Obj = Record<string, unknown>;
function decodeKv(kv: Obj): KeyValue {
  return {
    key: kv.key as Buffer,
    create_revision: Number(kv.create_revision),
    mod_revision: Number(kv.mod_revision),
    version: Number(kv.version),
    value: kv.value as Buffer,
    lease: BigInt(kv.lease as string),
  };
}

/** A WatchResponse's bytes decoded by protobufjs into the shape the stream used to build. */
export function decodeResponse(body: Buffer): WireWatchResponse {
  const o = watchMethod.responseDeserialize(body) as Obj;
  const h = o.header as Obj;
  const r: WireWatchResponse = {
    header: {
      cluster_id: String(h.cluster_id),
      member_id: String(h.member_id),
      revision: Number(h.revision),
      raft_term: Number(h.raft_term),
    },
    watch_id: String(o.watch_id),
    events: (o.events as Obj[]).map((e) => {
      const ev = { type: e.type as 'PUT' | 'DELETE', kv: decodeKv(e.kv as Obj) };
      return e.prev_kv ? { ...ev, prev_kv: decodeKv(e.prev_kv as Obj) } : ev;
    }),
  };
  if (o.created === true) r.created = true;
  if (o.canceled === true) r.canceled = true;
  if (Number(o.compact_revision) !== 0) r.compact_revision = Number(o.compact_revision);
  if (o.cancel_reason !== '') r.cancel_reason = o.cancel_reason as string;
  if (o.fragment === true) r.fragment = true;
  return r;
}

export class Rig {
  readonly engine = new MemoryEngine();
  readonly store = new MvccStore(this.engine);
  readonly sched = new FakeScheduler();
  readonly hub: WatchHub;
  fragmentLimit = 10 * 1024 * 1024;
  progressIntervalMs = 0;

  constructor(opts: { fanoutBudget?: number } = {}) {
    this.hub = new WatchHub({ store: this.store, engine: this.engine, scheduler: this.sched, ...opts });
  }

  readonly readPrev = (key: Buffer, rev: number): KeyValue | undefined => {
    try {
      return this.store.range({ key, revision: rev }).kvs[0];
    } catch (e) {
      if (isEtcdError(e)) return undefined;
      throw e;
    }
  };
  readonly encoder = new WatchEncoder(this.readPrev);
  readonly flushQueue = new FlushQueue(this.sched);

  env(): StreamEnv {
    return {
      hub: this.hub,
      header: (rev?: number) => ({ cluster_id: '1', member_id: '2', revision: rev ?? this.store.currentRevision, raft_term: 3 }),
      fragmentLimit: this.fragmentLimit,
      encodeObject: (o: object) => serialize(o),
      encoder: this.encoder,
      flushQueue: this.flushQueue,
      headerBytes: (rev: number) => encodeHeader({ cluster_id: '1', member_id: '2', revision: rev, raft_term: 3 }),
      compactedReason: 'etcdserver: mvcc: required revision has been compacted',
      progressIntervalMs: this.progressIntervalMs,
      scheduler: this.sched,
    };
  }

  stream(): { s: ServerWatchStream; out: FakeOutput } {
    const out = new FakeOutput();
    return { s: new ServerWatchStream(this.env(), out), out };
  }

  /**
   * What the member's applier does after a write: hand the events to the hub. The rig then
   * drains the hub's queued fan-out at once (`deferFanout` = false, the default) so tests read
   * as "write, then look"; tests of the deferral itself set it.
   */
  deferFanout = false;
  applied(events: Event[]): void {
    this.hub.notify(events);
    if (!this.deferFanout) this.hub.drain();
  }

  put(k: string, v: string): number {
    const r = this.store.put({ key: b(k), value: b(v) });
    this.applied(r.events);
    return r.response.revision;
  }

  del(k: string, end?: string): number {
    const r = this.store.deleteRange({ key: b(k), ...(end !== undefined ? { range_end: b(end) } : {}) });
    this.applied(r.events);
    return r.response.revision;
  }

  /** Puts several keys in one txn (one revision). */
  txnPuts(pairs: [string, string][]): number {
    const r = this.store.txn({
      success: pairs.map(([k, v]) => ({ request: 'request_put' as const, request_put: { key: b(k), value: b(v) } })),
    });
    this.applied(r.events);
    return r.response.revision;
  }
}

export function create(opts: {
  key: string;
  end?: string;
  rev?: number;
  id?: number;
  prevKv?: boolean;
  progress?: boolean;
  fragment?: boolean;
  filters?: string[];
}): Record<string, unknown> {
  return {
    request_union: 'create_request',
    create_request: {
      key: b(opts.key),
      range_end: b(opts.end ?? ''),
      start_revision: String(opts.rev ?? 0),
      watch_id: String(opts.id ?? 0),
      prev_kv: opts.prevKv === true,
      progress_notify: opts.progress === true,
      fragment: opts.fragment === true,
      filters: opts.filters ?? [],
    },
  };
}

export const cancel = (id: number): Record<string, unknown> => ({
  request_union: 'cancel_request',
  cancel_request: { watch_id: String(id) },
});
export const progress = (): Record<string, unknown> => ({ request_union: 'progress_request', progress_request: {} });

/** A compact, comparable view of responses. */
export function view(rs: readonly WireWatchResponse[]): string[] {
  return rs.map((r) => {
    const parts = [`id=${r.watch_id}`, `rev=${r.header.revision}`];
    if (r.created) parts.push('created');
    if (r.canceled) parts.push('canceled');
    if (r.compact_revision) parts.push(`compact=${r.compact_revision}`);
    if (r.cancel_reason) parts.push(`reason=${r.cancel_reason}`);
    if (r.fragment) parts.push('fragment');
    for (const e of r.events) {
      let s = `${e.type} ${e.kv.key.toString('latin1')}@${e.kv.mod_revision}`;
      if (e.type === 'PUT') s += `=${e.kv.value.toString('latin1')}`;
      if (e.prev_kv) s += ` prev=${e.prev_kv.value.toString('latin1')}@${e.prev_kv.mod_revision}`;
      parts.push(s);
    }
    return parts.join(' ');
  });
}
