/**
 * gRPC message framing for the watch send path: each message is a 5-byte prefix (compressed
 * flag 0, big-endian uint32 length) followed by its protobuf bytes. A {@link FrameWriter}
 * lays many responses of one stream end to end in one buffer, so the stream hands gRPC one
 * write per flush instead of one per response.
 */

const PREFIX = 5;
const MAX_HINT = 256 * 1024;
const EMPTY = Buffer.alloc(0);

export class FrameWriter {
  /** Empty between batches, so an idle stream holds no buffer. */
  private buffer: Buffer = EMPTY;
  private pos = 0;
  private expectedEnd = 0;
  /** First allocation of the next batch: the size of the last one (bounded). */
  private hint = 4096;

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The buffer to write a reserved message into (valid until the next reserve). */
  get buf(): Buffer {
    return this.buffer;
  }

  /**
   * Writes the prefix of a message of `size` bytes and returns where its bytes start; the caller
   * fills exactly `size` bytes and then calls {@link commit} with the end position.
   */
  reserve(size: number): number {
    this.ensure(PREFIX + size);
    const b = this.buffer;
    b[this.pos] = 0;
    b.writeUInt32BE(size, this.pos + 1);
    this.pos += PREFIX;
    this.expectedEnd = this.pos + size;
    return this.pos;
  }

  commit(end: number): void {
    if (end !== this.expectedEnd) throw new Error(`watch: encoded ${end - this.pos} bytes, reserved ${this.expectedEnd - this.pos}`);
    this.pos = end;
  }

  /** Appends one already encoded message. */
  message(body: Uint8Array): void {
    const at = this.reserve(body.length);
    this.buffer.set(body, at);
    this.commit(at + body.length);
  }

  /** The frames written so far; the writer starts empty again. */
  take(): Buffer {
    const out = this.buffer.subarray(0, this.pos);
    this.hint = Math.min(Math.max(this.pos, 1024), MAX_HINT);
    this.buffer = EMPTY;
    this.pos = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.pos + n, this.hint));
    this.buffer.copy(grown, 0, 0, this.pos);
    this.buffer = grown;
  }
}

/** The message bodies of a sequence of frames (views, no copies). */
export function splitFrames(frames: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < frames.length) {
    if (p + PREFIX > frames.length) throw new Error('watch: truncated gRPC frame prefix');
    const len = frames.readUInt32BE(p + 1);
    const start = p + PREFIX;
    if (start + len > frames.length) throw new Error('watch: truncated gRPC frame');
    out.push(frames.subarray(start, start + len));
    p = start + len;
  }
  return out;
}
