/**
 * A connection's outgoing bytes, batched: everything written in one event-loop turn goes to the
 * socket in one writev, in the check phase (setImmediate) of that turn, or sooner, at the end of
 * the current microtask checkpoint, once an answer asks for it (`soon`).
 *
 * Unary answers ask (wire/unary-call.ts): in the check phase, the answers a landed Raft batch
 * releases waited behind every other I/O callback of the same poll phase (new requests being
 * decoded and proposed). `etcdctl check perf l`, etcd-ts alone, with every write flushed at the
 * microtask checkpoint, 6 and 7 runs alternated: 5,026 / 5,038 / 5,224 / 4,988 / 4,879 / 4,423
 * -> 5,475 / 5,407 / 5,404 / 5,103 / 5,283 / 5,116 / 4,941 writes/s (medians 5,007 -> 5,283),
 * same server CPU. Streams do not ask: a lease keep-alive stream's answers, each written from
 * its own promise reaction, then left one writev each, and renewals fell from 80,647 / 77,972 to
 * 54,084 / 59,321 a second (leasebench, alternating).
 */
import type { Socket } from 'node:net';

export class WriteBatch {
  private out: Buffer[] = [];
  private scheduled = false;
  private micro = false;
  private stopped = false;

  constructor(private readonly socket: Socket) {}

  write(b: Buffer): void {
    if (this.stopped) return;
    this.out.push(b);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Flushes at the end of the current microtask checkpoint instead (see above). */
  soon(): void {
    if (this.micro || this.out.length === 0 || this.stopped) return;
    this.micro = true;
    queueMicrotask(() => {
      this.micro = false;
      this.flush();
    });
  }

  flush(): void {
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
