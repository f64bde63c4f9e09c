/**
 * Unary answers on their way out, so that background work can wait for them.
 *
 * grpc-js completes a unary call in several event-loop turns after the handler answers: the
 * message is written, its write callback sends the status, Node's HTTP/2 layer sends the
 * trailers from a setImmediate, and the frames leave in a later native write. A macrotask of
 * other work scheduled in between (the watch fan-out of the write just applied, about 1 ms for
 * 10,000 watchers, and the stream flushes after it) delays every one of those turns, and the
 * writer waits for it. So the watch hub starts a fan-out only once no unary answer is in flight
 * (each is counted from the handler's answer until its HTTP/2 stream closes, i.e. its trailers
 * were written), or after `maxWaitMs` at the latest, so a steady stream of requests never holds
 * watch delivery back for longer than that.
 *
 * After the last answer has left, the fan-out waits `settleMs` more, with the event loop idle:
 * measured with watchbench on 2 cores, a client woken by its answer was often queued behind
 * this process's next burst of work on the same core for a scheduler slice (about 3 ms, writers
 * 1.3-2x slower at p99); one idle millisecond lets it run first.
 *
 * The HTTP/2 stream is the one a UnaryCall (unary-call.ts) serves, or found on grpc-js 1.14's
 * call object (grpc-js-call.ts); without it (another grpc-js, server interceptors) an answer is
 * simply not counted, and the fan-out runs one macrotask later, as it would without this class.
 */
import { realScheduler, type Scheduler } from './watch/types';
import { baseServerCall } from '../wire/grpc-js-call';
import { UnaryCall } from '../wire/unary-call';

export interface Deferred {
  cancel(): void;
}

/** Upper bound on how long a fan-out waits for answers in flight. */
export const MAX_WAIT_MS = 5;
/** Idle time after the last answer left, before the fan-out. */
export const SETTLE_MS = 1;

export interface AnswersInFlightOptions {
  scheduler?: Scheduler;
  maxWaitMs?: number;
  settleMs?: number;
}

export class AnswersInFlight {
  private count = 0;
  private readonly waiting = new Set<() => void>();
  private readonly scheduler: Scheduler;
  private readonly maxWaitMs: number;
  private readonly settleMs: number;

  constructor(o: AnswersInFlightOptions = {}) {
    this.scheduler = o.scheduler ?? realScheduler;
    this.maxWaitMs = o.maxWaitMs ?? MAX_WAIT_MS;
    this.settleMs = o.settleMs ?? SETTLE_MS;
  }

  /** Answers being sent right now. */
  get inFlight(): number {
    return this.count;
  }

  /** The handler of `call` (a grpc-js unary call) is answering now. */
  answering(call: unknown): void {
    if (call instanceof UnaryCall) {
      if (call.stream.closed) return;
      this.count++;
      call.closed = this.left;
      return;
    }
    const stream = baseServerCall(call)?.stream;
    if (stream === undefined || stream.closed === true || stream.destroyed === true) return;
    this.count++;
    stream.once('close', this.left);
  }

  private readonly left = (): void => {
    this.count--;
    if (this.count === 0) for (const w of [...this.waiting]) w();
  };

  /**
   * Runs fn once no answer is in flight (then after settleMs), or after maxWaitMs at the latest.
   * The count is first looked at in the next macrotask: a write's events are queued when it is
   * applied, and its proposer answers only afterwards, in the same turn.
   */
  whenQuiet(fn: () => void): Deferred {
    let pending: Deferred | undefined;
    let cap: Deferred | undefined;
    const done = (): void => {
      this.waiting.delete(left);
      cap?.cancel();
      cap = undefined;
    };
    const left = (): void => {
      done();
      pending = this.scheduler.schedule(fn, this.settleMs);
    };
    pending = this.scheduler.schedule(() => {
      pending = undefined;
      if (this.count === 0) {
        fn();
        return;
      }
      this.waiting.add(left);
      cap = this.scheduler.schedule(() => {
        cap = undefined;
        done();
        fn();
      }, this.maxWaitMs);
    }, 0);
    return {
      cancel: () => {
        done();
        pending?.cancel();
      },
    };
  }
}
