/**
 * Linearizable reads by ReadIndex rounds (etcd's linearizableReadLoop): every read waiting when
 * a round is issued shares it; Raft answers the round with a read index once leadership is
 * confirmed; the reads resolve when the applied index reaches it. A round Raft never answers
 * (leader lost) fails with etcd's request timeout.
 */
import { EtcdError } from '../errors';

type Waiter = { resolve: () => void; reject: (e: unknown) => void };

interface Round {
  waiters: Waiter[];
  timer: NodeJS.Timeout;
}

export class ReadRounds {
  private counter = 0;
  private queue: Waiter[] = [];
  private readonly rounds = new Map<string, Round>();

  constructor(private readonly timeoutMs: number) {}

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
    const ctx = Buffer.allocUnsafe(8);
    ctx.writeBigUInt64BE(BigInt(++this.counter));
    const waiters = this.queue;
    this.queue = [];
    const key = ctx.toString('hex');
    const timer = setTimeout(() => {
      this.rounds.delete(key);
      for (const w of waiters) w.reject(new EtcdError('Timeout'));
    }, this.timeoutMs);
    timer.unref?.();
    this.rounds.set(key, { waiters, timer });
    return ctx;
  }

  /** Raft answered a round: its reads resolve once `applied(index)` does. */
  answer(requestCtx: Uint8Array, applied: Promise<void>): void {
    const key = Buffer.from(requestCtx).toString('hex');
    const round = this.rounds.get(key);
    if (!round) return;
    this.rounds.delete(key);
    clearTimeout(round.timer);
    void applied.then(() => {
      for (const w of round.waiters) w.resolve();
    });
  }

  /** Fails every read (the member stops). */
  failAll(err: unknown): void {
    for (const round of this.rounds.values()) {
      clearTimeout(round.timer);
      for (const w of round.waiters) w.reject(err);
    }
    this.rounds.clear();
    for (const w of this.queue) w.reject(err);
    this.queue = [];
  }
}
