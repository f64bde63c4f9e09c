/**
 * WatchResponse bytes for hub responses (events, progress, compaction), written directly
 * instead of through protobufjs: one put seen by 10,000 watchers is 10,000 responses that differ
 * only in watch_id. The encoder therefore encodes each event (and each KeyValue) once and reuses
 * the bytes for every watcher; the header of a revision is encoded once by the caller.
 *
 * Field numbers and types are etcd's rpc.proto / kv.proto; zero values are omitted (proto3), and
 * fields come in field-number order, as Go writes them. Control responses (created, canceled)
 * and fragmented responses keep the generic protobufjs path.
 */
import type { Event, KeyValue } from '../../../mvcc';
import { varintSize, varintSizeBig, writeVarintBig } from '../../../encoding/varint';
import { copyAt, encodeKeyValue, int64Bits, lenField, putBytes, putUint } from '../../wire/kv-proto';
import type { FrameWriter } from '../../wire/watch-frames';
import { isCreateEvent, prevKvFor, type PrevReader } from './response';
import type { HubResponse } from '../../engine/watch/types';

/** WatchResponse field 2 (watch_id, int64) with its tag; empty for 0 (proto3 omits it). */
export function watchIdField(id: bigint): Buffer {
  if (id === 0n) return Buffer.alloc(0);
  const v = int64Bits(id);
  const b = Buffer.allocUnsafe(1 + varintSizeBig(v));
  b[0] = 0x10;
  writeVarintBig(b, 1, v);
  return b;
}

export class WatchEncoder {
  private readonly kvs = new WeakMap<KeyValue, Buffer>();
  private readonly plain = new WeakMap<Event, Buffer>();
  private readonly withPrev = new WeakMap<Event, Buffer>();
  private readonly prevs = new WeakMap<Event, KeyValue | null>();
  private readonly scratch: Buffer[] = [];

  constructor(private readonly readPrev: PrevReader) {}

  /**
   * The prev_kv a watcher that asked for it gets with `e`, read once and remembered. Streams
   * call this when a watcher is handed replayed events (which carry no prev_kv), before they
   * wait in its queue: a compaction meanwhile must not take away a prev_kv that was readable
   * then.
   */
  prevOf(e: Event): KeyValue | undefined {
    if (e.prev_kv !== undefined) return isCreateEvent(e) ? undefined : e.prev_kv;
    let p = this.prevs.get(e);
    if (p === undefined) {
      p = prevKvFor(e, this.readPrev) ?? null;
      this.prevs.set(e, p);
    }
    return p ?? undefined;
  }

  /** mvccpb.Event, with prev_kv when asked for and known; cached per event object. */
  event(e: Event, prev: boolean): Buffer {
    const cache = prev ? this.withPrev : this.plain;
    let b = cache.get(e);
    if (b === undefined) {
      b = this.encodeEvent(e, prev ? this.prevOf(e) : undefined);
      cache.set(e, b);
    }
    return b;
  }

  /**
   * Appends one framed WatchResponse for `r`: `header` = the encoded header of r.revision,
   * `idField` = {@link watchIdField} of r.watchId.
   */
  writeHub(w: FrameWriter, r: HubResponse, header: Buffer, idField: Buffer, prev: boolean): void {
    const evs = this.scratch;
    if (evs.length !== 0) evs.length = 0; // left over by an exception
    let size = lenField(header.length) + idField.length;
    if (r.compactRevision !== 0) size += 2 + 1 + varintSize(r.compactRevision);
    for (const e of r.events) {
      const eb = this.event(e, prev);
      evs.push(eb);
      size += lenField(eb.length);
    }
    let p = w.reserve(size);
    const b = w.buf;
    p = putBytes(b, p, 0x0a, header);
    p = copyAt(b, p, idField);
    if (r.compactRevision !== 0) {
      b[p++] = 0x20; // canceled
      b[p++] = 1;
      p = putUint(b, p, 0x28, r.compactRevision);
    }
    for (let i = 0; i < evs.length; i++) p = putBytes(b, p, 0x5a, evs[i]!);
    evs.length = 0;
    w.commit(p);
  }

  private kv(kv: KeyValue): Buffer {
    let b = this.kvs.get(kv);
    if (b === undefined) {
      b = encodeKeyValue(kv);
      this.kvs.set(kv, b);
    }
    return b;
  }

  private encodeEvent(e: Event, prevKv: KeyValue | undefined): Buffer {
    const kv = this.kv(e.kv);
    const pv = prevKv === undefined ? undefined : this.kv(prevKv);
    const del = e.type === 'DELETE';
    const size = (del ? 2 : 0) + lenField(kv.length) + (pv === undefined ? 0 : lenField(pv.length));
    const b = Buffer.allocUnsafe(size);
    let p = 0;
    if (del) {
      b[p++] = 0x08;
      b[p++] = 1;
    }
    p = putBytes(b, p, 0x12, kv);
    if (pv !== undefined) putBytes(b, p, 0x1a, pv);
    return b;
  }
}
