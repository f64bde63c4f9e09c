import { Message } from './types';

/**
 * How linearizable reads are served.
 * - 'safe': the leader records its commit index and confirms it is still leader with a round of
 *   heartbeats acknowledged by a quorum before answering (etcd's default).
 * - 'leaseBased': the leader answers immediately, relying on check-quorum's lease; unsafe if
 *   clocks drift. Requires checkQuorum (the RawNode constructor rejects it otherwise).
 */
export type ReadOnlyOption = 'safe' | 'leaseBased';

/** The answer to a ReadIndex request: reads with that context may be served once index is applied. */
export interface ReadState {
  index: number;
  requestCtx: Uint8Array;
}

interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<bigint>;
}

export function ctxKey(ctx: Uint8Array | undefined): string {
  if (ctx === undefined || ctx.length === 0) return '';
  let s = '';
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i]!);
  return s;
}

/** The leader's queue of ReadIndex requests awaiting heartbeat confirmation ('safe' mode). */
export class ReadOnly {
  readonly option: ReadOnlyOption;
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  constructor(option: ReadOnlyOption) {
    this.option = option;
  }

  /** Queues a request (a MsgReadIndex whose first entry's data is the context) at `index`. */
  addRequest(index: number, m: Message): void {
    const key = ctxKey(m.entries[0]?.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req: m, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat acknowledgement carrying `context`; returns the acks so far. */
  recvAck(id: bigint, context: Uint8Array | undefined): Set<bigint> | undefined {
    const rs = this.pending.get(ctxKey(context));
    if (rs === undefined) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /**
   * Dequeues the request with the context of `m` and every request queued before it (they were
   * confirmed by the same heartbeat round).
   */
  advance(m: Message): { req: Message; index: number }[] {
    const key = ctxKey(m.context);
    let i = 0;
    let found = false;
    for (const okctx of this.queue) {
      i++;
      if (!this.pending.has(okctx)) throw new Error('cannot find corresponding read state from pending map');
      if (okctx === key) {
        found = true;
        break;
      }
    }
    if (!found) return [];
    const out: { req: Message; index: number }[] = [];
    for (const k of this.queue.slice(0, i)) {
      const rs = this.pending.get(k)!;
      this.pending.delete(k);
      out.push({ req: rs.req, index: rs.index });
    }
    this.queue = this.queue.slice(i);
    return out;
  }

  lastPendingRequestCtx(): Uint8Array | undefined {
    if (this.queue.length === 0) return undefined;
    const key = this.queue[this.queue.length - 1]!;
    return this.pending.get(key)!.req.entries[0]?.data;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}
