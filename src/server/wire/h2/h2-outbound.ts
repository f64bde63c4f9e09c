/**
 * Outbound DATA under HTTP/2 flow control (RFC 9113, section 6.9): a stream's DATA goes out as
 * far as its window and the connection's allow, in frames of at most the peer's
 * SETTINGS_MAX_FRAME_SIZE; the rest waits on the stream, in order, until WINDOW_UPDATEs open the
 * windows again.
 */
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW, Flag, FRAME_HEADER, frameHeader, Type } from './frames';
import type { H2Stream } from './h2-stream';

/** DATA shorter than this is copied behind its frame header (one buffer); longer goes as a view. */
const COPY_BELOW = 1024;

export interface OutboundSink {
  write(b: Buffer): void;
  /** A stream's queued DATA has all gone out. */
  queueDone(s: H2Stream): void;
}

export class OutboundData {
  /** The connection-level window this end may still send into. */
  sendWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  peerMaxFrame = DEFAULT_MAX_FRAME;
  private readonly blocked = new Set<H2Stream>();

  constructor(private readonly sink: OutboundSink) {}

  /** Sends or queues chunk; true when all of it went out now. */
  send(s: H2Stream, chunk: Buffer, end: boolean): boolean {
    if (s.queue.length > 0) {
      s.queue.push(chunk);
      s.queueEnd = end;
      return false;
    }
    const sent = this.frames(s, chunk, end);
    if (sent === chunk.length) return true;
    s.queue.push(sent > 0 ? chunk.subarray(sent) : chunk);
    s.queueEnd = end;
    this.blocked.add(s);
    return false;
  }

  /** Sends what the windows now allow of each blocked stream's queue. */
  drain(): void {
    for (const s of this.blocked) {
      if (this.sendWindow <= 0) return;
      while (s.queue.length > 0 && s.sendWindow > 0 && this.sendWindow > 0) {
        const head = s.queue[0]!;
        const n = this.frames(s, head, s.queueEnd && s.queue.length === 1);
        if (n < head.length) {
          s.queue[0] = head.subarray(n);
          break;
        }
        s.queue.shift();
      }
      if (s.queue.length === 0) {
        this.blocked.delete(s);
        this.sink.queueDone(s);
      }
    }
  }

  forget(s: H2Stream): void {
    this.blocked.delete(s);
  }

  /**
   * Writes as much of chunk as the windows allow; END_STREAM on the last frame when `end` and all
   * of it fits (an empty chunk needs no window). Returns the octets written.
   */
  private frames(s: H2Stream, chunk: Buffer, end: boolean): number {
    let at = 0;
    do {
      const room = Math.min(s.sendWindow, this.sendWindow, this.peerMaxFrame, chunk.length - at);
      if (room <= 0 && at < chunk.length) break;
      const flags = end && at + room === chunk.length ? Flag.END_STREAM : 0;
      if (room < COPY_BELOW) {
        const f = Buffer.allocUnsafe(FRAME_HEADER + room);
        frameHeader(f, 0, room, Type.DATA, flags, s.id);
        chunk.copy(f, FRAME_HEADER, at, at + room);
        this.sink.write(f);
      } else {
        const h = Buffer.allocUnsafe(FRAME_HEADER);
        frameHeader(h, 0, room, Type.DATA, flags, s.id);
        this.sink.write(h);
        this.sink.write(chunk.subarray(at, at + room));
      }
      s.sendWindow -= room;
      this.sendWindow -= room;
      at += room;
    } while (at < chunk.length);
    return at;
  }
}
