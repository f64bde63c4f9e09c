/**
 * Linearizable reads by ReadIndex rounds (etcd's linearizableReadLoop): every read waiting when
 * a round is issued shares it; Raft answers the round with a read index once leadership is
 * confirmed; the reads resolve when the applied index reaches it. A round Raft never answers
 * (leader lost) fails with etcd's request timeout.
 *
 * A round's request context is a request id from the member's id generator (the member id's low
 * 16 bits, then a time-seeded counter; etcd's reqIDGen): the leader keeps one pending read per
 * context, so contexts must differ across members (two fresh members counting from 1 sent the
 * same context at once, and only one was answered). A round unanswered after `retryMs` is asked
 * again under a new id (etcd's readIndexRetryTime); an answer to any of its ids resolves it.
 * When a new leader is elected, rounds already sent fail with `leader changed`.
 */
import { EtcdError } from '../../errors';

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

/** Runs `fn` after `ms`; returns the function cancelling it. */
export type Timer = (fn: () => void, ms: number) => () => void;

const realTimer: Timer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return () => clearTimeout(t);
};

interface Round {
  waiters: Waiter[];
  /** Hex keys of every context sent for this round. */
  keys: string[];
  cancelTimeout: () => void;
  cancelRetry: () => void;
}

export interface ReadRoundsOptions {
  /** A cluster-unique 64-bit request id (never a per-member counter alone). */
  nextId(): bigint;
  /** Sends a ReadIndex request with this context to Raft (used for retries). */
  send(ctx: Uint8Array): void;
  timeoutMs: number;
  /** etcd's readIndexRetryTime. */
  retryMs?: number;
  /** Timers (default: real ones; tests inject a fake clock). */
  timer?: Timer;
  /** An answer came for a context no longer waited for, or a round timed out (etcd's slowReadIndex). */
  onSlow?(): void;
  /** Rounds failed because the leader changed (etcd's readIndexFailed). */
  onFailed?(): void;
}

export class ReadRounds {
  private readonly o: ReadRoundsOptions;
  private readonly timer: Timer;
  private queue: Waiter[] = [];
  private readonly rounds = new Map<string, Round>();

  constructor(o: ReadRoundsOptions) {
    this.o = o;
    this.timer = o.timer ?? realTimer;
  }

  /** A read waiting for the next round. */
  enqueue(): Promise<void> {
    return new Promise((resolve, reject) => this.queue.push({ resolve, reject }));
  }

  get waiting(): boolean {
    return this.queue.length > 0;
  }

  /** Starts a round for the queued reads; returns its Raft request context, if any. */
  issue(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    const waiters = this.queue;
    this.queue = [];
    const round: Round = { waiters, keys: [], cancelTimeout: () => undefined, cancelRetry: () => undefined };
    round.cancelTimeout = this.timer(() => {
      this.o.onSlow?.();
      this.forget(round);
      for (const w of waiters) w.reject(new EtcdError('Timeout'));
    }, this.o.timeoutMs);
    const ctx = this.newContext(round);
    this.armRetry(round);
    return ctx;
  }

  private newContext(round: Round): Uint8Array {
    const ctx = Buffer.allocUnsafe(8);
    ctx.writeBigUInt64BE(BigInt.asUintN(64, this.o.nextId()));
    const key = ctx.toString('hex');
    round.keys.push(key);
    this.rounds.set(key, round);
    return ctx;
  }

  private armRetry(round: Round): void {
    round.cancelRetry = this.timer(() => {
      if (!this.rounds.has(round.keys[0]!)) return;
      this.o.send(this.newContext(round));
      this.armRetry(round);
    }, this.o.retryMs ?? 500);
  }

  private forget(round: Round): void {
    round.cancelTimeout();
    round.cancelRetry();
    for (const k of round.keys) this.rounds.delete(k);
  }

  /** Raft answered a round: its reads resolve once `applied(index)` does. */
  answer(requestCtx: Uint8Array, applied: Promise<void>): void {
    const key = Buffer.from(requestCtx).toString('hex');
    const round = this.rounds.get(key);
    if (!round) {
      this.o.onSlow?.();
      return;
    }
    this.forget(round);
    void applied.then(() => {
      for (const w of round.waiters) w.resolve();
    });
  }

  /**
   * A new leader: the rounds already sent fail with etcd's retryable `leader changed` (as etcd's
   * read loop does); reads not yet sent wait for the next round.
   */
  leaderChanged(): void {
    const sent = new Set(this.rounds.values());
    if (sent.size === 0) return;
    this.o.onFailed?.();
    for (const round of sent) {
      this.forget(round);
      for (const w of round.waiters) w.reject(new EtcdError('LeaderChanged'));
    }
  }

  /** Fails every read (the member stops). */
  failAll(err: unknown): void {
    const all = new Set(this.rounds.values());
    for (const round of all) {
      this.forget(round);
      for (const w of round.waiters) w.reject(err);
    }
    for (const w of this.queue) w.reject(err);
    this.queue = [];
  }
}
