/**
 * Waiters for proposals: the gRPC handler registers one per proposed request id, the applier
 * triggers it with the result (or a typed error) when the entry is applied.
 */
export interface Waiter<T = unknown> {
  /** Monotonic ms after which the proposal is given up (etcd's request timeout). */
  readonly deadline: number;
  resolve(result: T): void;
  reject(err: unknown): void;
}

export class WaitRegistry {
  private readonly waiters = new Map<number, Waiter>();

  /** `onGiveUp`: called for each waiter rejected here (timed out, or dropped on a stop). */
  constructor(private readonly onGiveUp: () => void = () => undefined) {}

  register<T>(id: number, deadline: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiters.set(id, { deadline, resolve: resolve as (r: unknown) => void, reject });
    });
  }

  /** Rejects, with `err()`, every waiter whose deadline is before `now`. */
  expire(now: number, err: () => unknown): void {
    for (const [id, w] of this.waiters) {
      if (w.deadline < now) {
        this.waiters.delete(id);
        this.onGiveUp();
        w.reject(err());
      }
    }
  }

  /** Removes and returns the waiter of `id`, if this member registered one. */
  take(id: number): Waiter | undefined {
    const w = this.waiters.get(id);
    if (w !== undefined) this.waiters.delete(id);
    return w;
  }

  get size(): number {
    return this.waiters.size;
  }

  /** Rejects every waiter (on shutdown or when proposals can no longer complete). */
  rejectAll(err: unknown): void {
    const all = [...this.waiters.values()];
    this.waiters.clear();
    for (const w of all) {
      this.onGiveUp();
      w.reject(err);
    }
  }
}

/** Resolves waiters once an index (the applied index) reaches theirs. */
export class IndexWaiters {
  private pending: { index: number; resolve: () => void }[] = [];

  wait(index: number, current: number): Promise<void> {
    if (index <= current) return Promise.resolve();
    return new Promise((resolve) => {
      this.pending.push({ index, resolve });
    });
  }

  /** Called after the index advanced to `current`. */
  advance(current: number): void {
    if (this.pending.length === 0) return;
    const keep: typeof this.pending = [];
    for (const p of this.pending) {
      if (p.index <= current) p.resolve();
      else keep.push(p);
    }
    this.pending = keep;
  }
}
