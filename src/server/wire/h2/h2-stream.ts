/**
 * One HTTP/2 stream of an H2Connection: its send window and the DATA waiting for it, trailers
 * held until that DATA is out, and the owner's callbacks. No EventEmitter, no Duplex: a gRPC call
 * costs a few fields, not node:http2's stream objects.
 */
import { ErrorCode } from './frames';
import type { H2Connection } from './h2-connection';

export class H2Stream {
  /** What this end may still send (the peer's window for the stream). */
  sendWindow: number;
  /** Inbound octets consumed and not yet handed back to the peer's window. */
  recvUnacked = 0;
  /** Inbound octets received and not yet handed back (at most the window this end advertised). */
  recvOutstanding = 0;
  localEnded = false;
  remoteEnded = false;
  closed = false;
  /** DATA waiting for window, in order; trailers (a header list) sent once it is out. */
  queue: Buffer[] = [];
  queueEnd = false;
  trailers: string[] | undefined = undefined;
  /** The request's (server) or response's (client) header fields: name, value, ... */
  fields: string[] = [];
  /** Set by the owner: DATA (and the peer's end of the stream), and the stream's end. */
  onData: ((chunk: Buffer, endStream: boolean) => void) | undefined = undefined;
  /** The stream is over: both ends done (code NO_ERROR), reset by either end, or the connection gone. */
  onClose: ((code: ErrorCode) => void) | undefined = undefined;
  /** Whether inbound DATA is handed back to the peer's window as it arrives (else: consumed()). */
  autoConsume = true;
  /** Anything the owner keeps on the stream. */
  owner: unknown = undefined;
  /** Called once the queued DATA has gone out (set by sendData's caller when it queued). */
  drained: (() => void)[] | undefined = undefined;

  constructor(
    readonly conn: H2Connection,
    readonly id: number,
    sendWindow: number,
  ) {
    this.sendWindow = sendWindow;
  }

  /** Sends a header block (headers, or trailers when `endStream`; trailers wait for queued DATA). */
  headers(fields: string[], endStream: boolean): void {
    if (this.closed || this.localEnded) return;
    if (endStream && this.queue.length > 0) {
      this.trailers = fields;
      this.localEnded = true;
      return;
    }
    if (endStream) this.localEnded = true;
    this.conn.sendHeaders(this, fields, endStream);
  }

  /** Sends DATA (as the windows allow; the rest is queued). */
  data(chunk: Buffer, endStream: boolean): void {
    if (this.closed || this.localEnded) return;
    if (endStream) this.localEnded = true;
    this.conn.sendData(this, chunk, endStream);
  }

  /** Resets the stream (RST_STREAM) unless it is over already. */
  reset(code: ErrorCode): void {
    if (this.closed) return;
    this.conn.resetStream(this, code);
  }

  /** Hands `n` inbound octets back to the peer's window (when autoConsume is off). */
  consumed(n: number): void {
    this.conn.streamConsumed(this, n);
  }

  /** The connection (node:http2's `stream.session`: its `socket` is the peer's). */
  get session(): H2Connection {
    return this.conn;
  }

  /** Runs fn once no DATA of this stream waits for window (at once, in a microtask, if none does). */
  whenDrained(fn: () => void): void {
    if (this.queue.length === 0) queueMicrotask(fn);
    else (this.drained ??= []).push(fn);
  }
}
