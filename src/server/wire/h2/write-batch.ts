/**
 * A connection's outgoing bytes, batched: everything written in one event-loop turn goes to the
 * socket in one writev, in the check phase (setImmediate) of that turn.
 */
import type { Socket } from 'node:net';

export class WriteBatch {
  private out: Buffer[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(private readonly socket: Socket) {}

  write(b: Buffer): void {
    if (this.stopped) return;
    this.out.push(b);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    const out = this.out;
    if (out.length === 0 || this.stopped) return;
    this.out = [];
    if (out.length === 1) this.socket.write(out[0]!);
    else {
      this.socket.cork();
      for (const b of out) this.socket.write(b);
      this.socket.uncork();
    }
  }

  /** Drops what is not written yet; writes are ignored from now on. */
  stop(): void {
    this.stopped = true;
    this.out = [];
  }
}
