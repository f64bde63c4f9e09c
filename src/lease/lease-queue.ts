/**
 * An indexed binary min-heap of (lease id, time): at most one entry per lease, updatable in
 * place. The lessor keeps two: expiry times (etcd's LeaseExpiredNotifier) and checkpoint times
 * (etcd's leaseCheckpointHeap). Ties are broken by id so the order is deterministic.
 */
import type { LeaseId } from './types';

interface Item {
  id: LeaseId;
  time: number;
}

export class LeaseQueue {
  private readonly heap: Item[] = [];
  private readonly pos = new Map<LeaseId, number>();

  get size(): number {
    return this.heap.length;
  }

  /** The earliest entry, or undefined when empty. */
  peek(): Readonly<Item> | undefined {
    return this.heap[0];
  }

  has(id: LeaseId): boolean {
    return this.pos.has(id);
  }

  /** Adds the lease or moves its entry to `time`. */
  set(id: LeaseId, time: number): void {
    const i = this.pos.get(id);
    if (i === undefined) {
      this.heap.push({ id, time });
      this.pos.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
      return;
    }
    const item = this.heap[i]!;
    const old = item.time;
    item.time = time;
    if (time < old) this.up(i);
    else this.down(i);
  }

  delete(id: LeaseId): void {
    const i = this.pos.get(id);
    if (i === undefined) return;
    this.pos.delete(id);
    const last = this.heap.pop()!;
    if (i === this.heap.length) return;
    this.heap[i] = last;
    this.pos.set(last.id, i);
    this.up(i);
    this.down(this.pos.get(last.id)!);
  }

  /** Removes and returns the earliest entry. */
  pop(): Item | undefined {
    const top = this.heap[0];
    if (top !== undefined) this.delete(top.id);
    return top;
  }

  clear(): void {
    this.heap.length = 0;
    this.pos.clear();
  }

  private less(a: Item, b: Item): boolean {
    return a.time < b.time || (a.time === b.time && a.id < b.id);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i]!;
    const b = h[j]!;
    h[i] = b;
    h[j] = a;
    this.pos.set(b.id, i);
    this.pos.set(a.id, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[p]!)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
