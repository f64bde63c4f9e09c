/**
 * A bounded FIFO of the last indexes of in-flight MsgApp messages sent to one follower. When it
 * is full the leader stops sending appends to that follower until acknowledgements free slots.
 */
export class Inflights {
  private start = 0;
  private count = 0;
  private buffer: number[] = [];
  readonly size: number;

  constructor(size: number) {
    this.size = size;
  }

  clone(): Inflights {
    const c = new Inflights(this.size);
    c.start = this.start;
    c.count = this.count;
    c.buffer = this.buffer.slice();
    return c;
  }

  add(inflight: number): void {
    if (this.full()) throw new Error('cannot add into a Full inflights');
    let next = this.start + this.count;
    if (next >= this.size) next -= this.size;
    if (next >= this.buffer.length) this.grow();
    this.buffer[next] = inflight;
    this.count++;
  }

  private grow(): void {
    let newSize = this.buffer.length * 2;
    if (newSize === 0) newSize = 1;
    else if (newSize > this.size) newSize = this.size;
    const nb = new Array<number>(newSize).fill(0);
    for (let i = 0; i < this.buffer.length; i++) nb[i] = this.buffer[i]!;
    this.buffer = nb;
  }

  /** Frees all inflights with index <= to. */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.buffer[this.start]!) return;
    let idx = this.start;
    let i = 0;
    for (; i < this.count; i++) {
      if (to < this.buffer[idx]!) break;
      idx++;
      if (idx >= this.size) idx -= this.size;
    }
    this.count -= i;
    this.start = idx;
    if (this.count === 0) this.start = 0;
  }

  full(): boolean {
    return this.count === this.size;
  }

  length(): number {
    return this.count;
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
  }
}
