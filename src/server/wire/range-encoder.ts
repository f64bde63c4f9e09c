/**
 * A RangeResponse encoded while the store reads it: each KeyValue is written into the response
 * bytes as it comes (kv-proto.ts), so a large range holds its encoded response and nothing else
 * (no array of KeyValues, no protobufjs writer state). The bytes grow in chunks of at least
 * 1 MiB and are joined once at the end, unless the caller said how much to expect.
 */
import type { KeyValue } from '../../mvcc';
import type { RangeSink, RangeSummary } from '../../mvcc/range';
import type { Header } from './convert';
import { encodeHeader, keyValueSize, putBytes, putUint, recordKeyValueSize, writeKeyValue, writeRecordKeyValue } from './kv-proto';
import { varintSize, writeVarint } from '../../encoding/varint';

const CHUNK = 1024 * 1024;
/** Larger expectations are ignored (chunks as usual): a guess is never one huge allocation. */
const MAX_EXPECT = 1024 * 1024 * 1024;

/**
 * Where a response encoded in one synchronous call (encodeRange) is written first: it is copied
 * out at its exact size at the end. Growing a fresh buffer instead (1 KiB, then 64 KiB, joined,
 * then framed) cost about four times the response in short-lived ArrayBuffers, and the garbage
 * collections they trigger (100-key ranges: about 130 KB allocated for a 33 KB answer).
 */
const SCRATCH = Buffer.allocUnsafeSlow(256 * 1024);

class ChunkedBytes {
  private readonly done: Buffer[] = [];
  private buf: Buffer;
  private pos = 0;
  private total = 0;

  /** `scratch`: start in the shared scratch buffer (the whole encoding is one synchronous call). */
  constructor(scratch = false) {
    // Else small enough to come from Node's buffer pool: most responses are one or a few KeyValues.
    this.buf = scratch ? SCRATCH : Buffer.allocUnsafe(1024);
  }

  /** Room for n more bytes; returns the buffer and the position to write at. */
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      this.done.push(this.buf.subarray(0, this.pos));
      this.total += this.pos;
      this.buf = Buffer.allocUnsafe(Math.max(n, this.total < CHUNK ? 64 * 1024 : CHUNK));
      this.pos = 0;
    }
    return this.buf;
  }

  get at(): number {
    return this.pos;
  }

  advance(to: number): void {
    this.pos = to;
  }

  /**
   * Makes room for about `bytes` more in one buffer, so a response of that size is never joined
   * from chunks: what is written so far (before any chunk was filled) moves into it.
   */
  expect(bytes: number): void {
    if (this.done.length > 0 || this.pos + bytes <= this.buf.length || bytes > MAX_EXPECT) return;
    const b = Buffer.allocUnsafe(this.pos + bytes);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  join(): Buffer {
    if (this.done.length === 0) {
      if (this.buf !== SCRATCH) return this.buf.subarray(0, this.pos);
      const out = Buffer.allocUnsafe(this.pos);
      SCRATCH.copy(out, 0, 0, this.pos);
      return out;
    }
    this.done.push(this.buf.subarray(0, this.pos));
    return Buffer.concat(this.done, this.total + this.pos);
  }
}

/** etcdserverpb.RangeResponse{header, kvs, more, count}, written field by field. */
export class RangeEncoder implements RangeSink {
  private readonly out: ChunkedBytes;

  /** `synchronous`: created, filled and finished in one synchronous call (uses the scratch buffer). */
  constructor(
    private readonly header: Header,
    synchronous = false,
  ) {
    this.out = new ChunkedBytes(synchronous);
    const h = encodeHeader(header);
    const b = this.out.room(h.length + 6);
    this.out.advance(putBytes(b, this.out.at, 0x0a, h));
  }

  kv(kv: KeyValue): void {
    const b = this.kvsEntry(keyValueSize(kv));
    this.out.advance(writeKeyValue(b, this.out.at, kv));
  }

  /** About `bytes` more are coming (see ChunkedBytes.expect). */
  expect(bytes: number): void {
    this.out.expect(bytes);
  }

  /** A KeyValue written straight from its live revision record (no KeyValue object). */
  record(rec: Uint8Array): void {
    const b = this.kvsEntry(recordKeyValueSize(rec));
    this.out.advance(writeRecordKeyValue(b, this.out.at, rec));
  }

  /** Room for one `kvs` entry (field 2) of `size` bytes, its tag and length written: the body goes at `out.at`. */
  private kvsEntry(size: number): Buffer {
    const out = this.out;
    const b = out.room(1 + varintSize(size) + size);
    b[out.at] = 0x12;
    out.advance(writeVarint(b, out.at + 1, size));
    return b;
  }

  finish(summary: RangeSummary): Buffer {
    if (summary.revision !== this.header.revision) throw new Error('range: the header revision is not the read revision');
    const out = this.out;
    const b = out.room(2 + 11);
    let p = out.at;
    if (summary.more) {
      b[p++] = 0x18;
      b[p++] = 1;
    }
    if (summary.count !== 0) p = putUint(b, p, 0x20, summary.count);
    out.advance(p);
    return out.join();
  }
}

/**
 * Encodes a RangeResponse: `read` streams the KeyValues (or their records) to the sink it is
 * given and returns the summary (undefined: the request cannot be streamed, and nothing is
 * returned).
 */
export function encodeRange(header: Header, read: (sink: RangeSink) => RangeSummary | undefined): Buffer | undefined {
  const enc = new RangeEncoder(header, true);
  const summary = read(enc);
  return summary === undefined ? undefined : enc.finish(summary);
}
