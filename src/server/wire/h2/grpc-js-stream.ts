/**
 * An H2Stream dressed as the node:http2 ServerHttp2Stream grpc-js 1.14's server works on
 * (server.ts _streamHandler, server-interceptors.ts BaseServerInterceptingCall): 'data', 'end',
 * 'close' and 'wantTrailers' events, pause/resume, respond, write with a callback once the data
 * has gone out, end, sendTrailers, closed/destroyed/rstCode, and `session.socket`. Streams
 * (Watch, LeaseKeepAlive, Snapshot, Observe), compressed requests, unknown methods and wrong
 * content types are served this way, by grpc-js's own code, so their answers stay grpc-js's.
 */
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders } from 'node:http2';
import { ErrorCode } from './frames';
import type { H2Stream } from './h2-stream';

/** node:http2's header object as the fields of a header block (pseudo-headers first). */
export function headerFields(headers: OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  const status = headers[':status'];
  if (status !== undefined) out.push(':status', String(status));
  for (const name of Object.keys(headers)) {
    if (name === ':status') continue;
    const v = headers[name];
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    if (Array.isArray(v)) for (const x of v) out.push(lower, String(x));
    else out.push(lower, String(v));
  }
  return out;
}

export class GrpcJsStream extends EventEmitter {
  rstCode: number | undefined = undefined;
  destroyed = false;
  private paused = false;
  private pending: Buffer[] = [];
  private ended = false;
  private endEmitted = false;
  private waitForTrailers = false;
  private headersSent = false;

  constructor(readonly h2: H2Stream) {
    super();
    h2.autoConsume = false;
    h2.onData = (chunk, end) => this.onData(chunk, end);
    h2.onClose = (code) => this.onClose(code);
    // A request whose HEADERS ended the stream: 'end' once grpc-js listens (and resumes).
    if (h2.remoteEnded) {
      this.ended = true;
      queueMicrotask(() => this.emitPending());
    }
  }

  get closed(): boolean {
    return this.h2.closed;
  }

  get session(): H2Stream['session'] {
    return this.h2.session;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    if (this.pending.length > 0 || (this.ended && !this.endEmitted)) queueMicrotask(() => this.emitPending());
    return this;
  }

  respond(headers: OutgoingHttpHeaders, options?: { endStream?: boolean; waitForTrailers?: boolean }): void {
    if (this.h2.closed || this.headersSent) return;
    this.headersSent = true;
    this.waitForTrailers = options?.waitForTrailers === true;
    this.h2.headers(headerFields(headers), options?.endStream === true);
  }

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.h2.closed) {
      if (cb !== undefined) queueMicrotask(() => cb(new Error('stream closed')));
      return false;
    }
    this.h2.data(chunk, false);
    if (cb !== undefined) this.h2.whenDrained(() => cb(null));
    return true;
  }

  end(): void {
    if (this.h2.closed) return;
    if (this.waitForTrailers) this.h2.whenDrained(() => this.emit('wantTrailers'));
    else this.h2.data(EMPTY, true);
  }

  sendTrailers(headers: OutgoingHttpHeaders): void {
    this.h2.headers(headerFields(headers), true);
  }

  close(code: number = ErrorCode.NO_ERROR): void {
    this.h2.reset(code);
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.h2.reset(ErrorCode.CANCEL);
    }
    return this;
  }

  private onData(chunk: Buffer, end: boolean): void {
    if (chunk.length > 0) this.pending.push(chunk);
    if (end) this.ended = true;
    if (!this.paused) this.emitPending();
  }

  private emitPending(): void {
    while (!this.paused && this.pending.length > 0) {
      const c = this.pending.shift()!;
      this.h2.consumed(c.length);
      this.emit('data', c);
    }
    if (!this.paused && this.ended && !this.endEmitted && this.pending.length === 0) {
      this.endEmitted = true;
      this.emit('end');
    }
  }

  private onClose(code: ErrorCode): void {
    if (code !== ErrorCode.NO_ERROR) this.rstCode = code;
    this.destroyed = true;
    process.nextTick(() => this.emit('close'));
  }
}

const EMPTY = Buffer.alloc(0);
