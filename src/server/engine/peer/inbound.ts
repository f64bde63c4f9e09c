/**
 * Receiving side of the peer service: admits calls (cluster id, removed members, `to`), feeds
 * each Stream batch to raft in order, reassembles and verifies Snapshot chunks, answers Probe.
 * Tracks the open inbound streams per sender so a member that gets removed is cut off at once.
 */
import { createHash } from 'node:crypto';
import {
  status,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { MessageType, type Message } from '../../../raft/types';
import { admit, ERR_MEMBER_REMOVED, type Admission, type PeerError } from './headers';
import { decodeBatch, decodeSnapshotChunk, type Identity } from './peer-codec';
import type { PeerStats } from './peer-stats';

export interface InboundContext extends Admission {
  log: Logger;
  onMessage(m: Message): void;
  onSnapshot(m: Message): void;
  /** Largest snapshot blob accepted, in bytes. */
  maxSnapshotBytes: number;
  stats: PeerStats;
}

type StreamCall = ServerDuplexStream<Buffer, Identity>;

function serviceError(e: PeerError): ServiceError {
  return Object.assign(new Error(e.details), { code: e.code, details: e.details, metadata: undefined as never }) as ServiceError;
}

export class Inbound {
  private readonly streams = new Map<bigint, Set<StreamCall>>();
  /** Counters for metrics/tests. */
  readonly stats = { batches: 0, messages: 0, snapshots: 0, snapshotFailures: 0, refused: 0 };

  constructor(private readonly ctx: InboundContext) {}

  handlers(): UntypedServiceImplementation {
    return {
      Stream: (call: StreamCall) => this.stream(call),
      Snapshot: (call: ServerReadableStream<Buffer, number>, cb: sendUnaryData<number>) => this.snapshot(call, cb),
      Probe: (call: ServerUnaryCall<unknown, Identity>, cb: sendUnaryData<Identity>) => {
        const a = admit(call.metadata, this.ctx);
        if ('error' in a) {
          this.refuse('Probe', call, a.error);
          return cb(serviceError(a.error));
        }
        cb(null, { memberId: this.ctx.memberId, clusterId: this.ctx.clusterId });
      },
    };
  }

  /** Number of open inbound streams per sender. */
  inboundStreams(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const [id, s] of this.streams) out.set(id, s.size);
    return out;
  }

  /** Ends the inbound streams of a member that was just removed. */
  cutOff(id: bigint): void {
    const set = this.streams.get(id);
    if (set === undefined) return;
    this.streams.delete(id);
    for (const call of set) call.emit('error', { code: status.FAILED_PRECONDITION, details: ERR_MEMBER_REMOVED });
  }

  closeAll(): void {
    for (const set of this.streams.values())
      for (const call of set) call.emit('error', { code: status.UNAVAILABLE, details: 'peer transport stopped' });
    this.streams.clear();
  }

  private refuse(kind: string, call: { getPeer(): string }, e: PeerError): void {
    this.stats.refused++;
    this.ctx.log.warn({ rpc: kind, remote: call.getPeer(), error: e.details }, 'refused peer call');
  }

  private deliver(m: Message): void {
    if (!saneNumbers(m)) {
      this.stats.refused++;
      this.ctx.log.warn({ type: MessageType[m.type], from: m.from.toString() }, 'dropped raft message with an out-of-range term or index');
      return;
    }
    try {
      if (m.type === MessageType.MsgSnap) this.ctx.onSnapshot(m);
      else this.ctx.onMessage(m);
    } catch (err) {
      this.ctx.log.error({ err, type: MessageType[m.type], from: m.from.toString() }, 'raft message handler threw');
    }
  }

  private stream(call: StreamCall): void {
    const a = admit(call.metadata, this.ctx);
    if ('error' in a) {
      this.refuse('Stream', call, a.error);
      call.emit('error', a.error);
      return;
    }
    const from = a.from;
    let set = this.streams.get(from);
    if (set === undefined) this.streams.set(from, (set = new Set()));
    set.add(call);
    const untrack = (): void => {
      const s = this.streams.get(from);
      if (s !== undefined && s.delete(call) && s.size === 0) this.streams.delete(from);
    };
    this.ctx.log.debug({ from: from.toString(), remote: call.getPeer() }, 'peer stream accepted');
    call.write({ memberId: this.ctx.memberId, clusterId: this.ctx.clusterId });
    call.on('data', (buf: Buffer) => {
      if (this.ctx.isRemoved(from)) return; // cut off; the status is on its way
      let msgs: Message[];
      try {
        msgs = decodeBatch(buf);
      } catch (err) {
        this.ctx.log.warn({ err, from: from.toString() }, 'malformed peer message batch');
        untrack();
        call.emit('error', { code: status.INVALID_ARGUMENT, details: `malformed message batch: ${(err as Error).message}` });
        return;
      }
      this.stats.batches++;
      this.stats.messages += msgs.length;
      this.ctx.stats.received(from, buf.length);
      for (const m of msgs) {
        if (this.ctx.isRemoved(m.from)) continue;
        this.deliver(m);
      }
    });
    call.on('end', () => {
      untrack();
      call.end();
    });
    call.on('error', () => {
      this.ctx.stats.receiveFailed(from);
      untrack();
    });
    call.on('cancelled', untrack);
  }

  private snapshot(call: ServerReadableStream<Buffer, number>, cb: sendUnaryData<number>): void {
    const a = admit(call.metadata, this.ctx);
    if ('error' in a) {
      this.refuse('Snapshot', call, a.error);
      cb(serviceError(a.error));
      return;
    }
    const from = a.from;
    const started = Date.now();
    let msg: Message | undefined;
    let blob: Buffer | undefined;
    let total = 0;
    let received = 0;
    let chunks = 0;
    let digest: Uint8Array | undefined;
    const hash = createHash('sha256');
    let done = false;
    const fail = (code: status, details: string): void => {
      if (done) return;
      done = true;
      this.stats.snapshotFailures++;
      this.ctx.log.warn({ from: from.toString(), bytes: received, chunks, error: details }, 'receiving snapshot failed');
      cb(serviceError({ code, details }));
    };
    call.on('data', (buf: Buffer) => {
      if (done) return;
      let c;
      try {
        c = decodeSnapshotChunk(buf);
      } catch (err) {
        return fail(status.INVALID_ARGUMENT, `malformed snapshot chunk: ${(err as Error).message}`);
      }
      chunks++;
      if (msg === undefined) {
        if (c.message === undefined || c.message.type !== MessageType.MsgSnap || c.message.snapshot === undefined) {
          return fail(status.INVALID_ARGUMENT, 'first snapshot chunk carries no MsgSnap');
        }
        if (c.message.to !== this.ctx.memberId)
          return fail(status.FAILED_PRECONDITION, `MsgSnap addressed to ${c.message.to}, this is ${this.ctx.memberId}`);
        total = c.totalSize ?? 0;
        if (total > this.ctx.maxSnapshotBytes)
          return fail(status.RESOURCE_EXHAUSTED, `snapshot of ${total} bytes exceeds ${this.ctx.maxSnapshotBytes}`);
        msg = c.message;
        blob = Buffer.allocUnsafe(total);
        this.ctx.log.info(
          { from: from.toString(), index: msg.snapshot!.metadata.index, term: msg.snapshot!.metadata.term, bytes: total },
          'receiving snapshot',
        );
      } else if (c.message !== undefined) {
        return fail(status.INVALID_ARGUMENT, 'MsgSnap repeated in a later snapshot chunk');
      }
      if (digest !== undefined) return fail(status.INVALID_ARGUMENT, 'snapshot chunk after the checksum');
      if (received + c.data.length > total) return fail(status.DATA_LOSS, `snapshot longer than announced ${total} bytes`);
      blob!.set(c.data, received);
      hash.update(c.data);
      received += c.data.length;
      if (c.sha256 !== undefined) digest = c.sha256;
    });
    call.on('end', () => {
      if (done) return;
      if (msg === undefined) return fail(status.INVALID_ARGUMENT, 'empty snapshot call');
      if (received !== total) return fail(status.DATA_LOSS, `snapshot truncated: ${received} of ${total} bytes`);
      if (digest === undefined) return fail(status.DATA_LOSS, 'snapshot without checksum');
      if (!hash.digest().equals(digest)) return fail(status.DATA_LOSS, 'snapshot checksum mismatch');
      done = true;
      this.stats.snapshots++;
      const ms = Date.now() - started;
      this.ctx.log.info(
        {
          from: from.toString(),
          index: msg.snapshot!.metadata.index,
          bytes: received,
          chunks,
          durationMs: ms,
          mibPerSec: ms > 0 ? +(received / 1048576 / (ms / 1000)).toFixed(1) : undefined,
        },
        'received snapshot',
      );
      msg.snapshot = { data: blob!, metadata: msg.snapshot!.metadata };
      cb(null, received);
      this.deliver(msg);
    });
    call.on('error', (err) => {
      if (done) return;
      done = true;
      this.stats.snapshotFailures++;
      this.ctx.log.warn({ from: from.toString(), bytes: received, chunks, err }, 'snapshot stream broke');
    });
  }
}

/** Terms and indexes are JS numbers inside; a peer's value past 2^53 is damage, not a log. */
function saneNumbers(m: Message): boolean {
  const ok = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
  if (!ok(m.term) || !ok(m.logTerm) || !ok(m.index) || !ok(m.commit) || !ok(m.rejectHint)) return false;
  for (const e of m.entries) if (!ok(e.term) || !ok(e.index)) return false;
  if (m.snapshot && (!ok(m.snapshot.metadata.index) || !ok(m.snapshot.metadata.term))) return false;
  return true;
}
