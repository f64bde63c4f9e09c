/**
 * The server end of one HTTP/2 connection (RFC 9113) over a socket: the client port's gRPC.
 *
 * What it does: the preface and SETTINGS exchange, HPACK (hpack-*.ts), header blocks split over
 * CONTINUATION frames, PING answered, flow control both ways (DATA waits for the peer's stream
 * and connection windows; inbound DATA is handed back to the peer's windows as its owner consumes
 * it), RST_STREAM, GOAWAY. A protocol violation ends the connection with GOAWAY and the error's
 * code, as RFC 9113 section 5.4.1 says. Writes of one event-loop turn go out in one writev.
 */
import type { Socket } from 'node:net';
import { HpackDecoder, HpackError } from './hpack-decoder';
import { HpackEncoder } from './hpack-encoder';
import { H2Stream } from './h2-stream';
import { OutboundData } from './h2-outbound';
import { Keepalive } from './h2-keepalive';
import { WriteBatch } from './write-batch';
import { dataOf, expectSize, headersFragment, settingsOf } from './h2-frame-parse';
import {
  ACK,
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER,
  frame,
  goawayFrame,
  H2Error,
  headerFrames,
  MAX_WINDOW,
  PREFACE,
  Setting,
  settingsFrame,
  Type,
  u32Frame,
} from './frames';

export interface H2ConnectionOptions {
  /** A stream the peer opened, once its header block is read (fields on the stream). */
  readonly onStream?: (stream: H2Stream, endStream: boolean) => void;
  /** The connection is over (the socket closed or a connection error). */
  readonly onClose?: (err: H2Error | undefined) => void;
  /** The stream window this end advertises (SETTINGS_INITIAL_WINDOW_SIZE). */
  readonly streamWindow?: number;
  /** The connection window this end grants at the start. */
  readonly connectionWindow?: number;
  /** Header names never added to the encoder's table. */
  readonly noIndex?: ReadonlySet<string>;
  /** A PING every this many ms; no answer within keepaliveTimeoutMs ends the connection (grpc-js's keepalive_time_ms). */
  readonly keepaliveMs?: number;
  readonly keepaliveTimeoutMs?: number;
}

/** A header block may not exceed this (HEADERS and its CONTINUATIONs together). */
const MAX_HEADER_BLOCK = 1 << 20;

export class H2Connection {
  readonly streams = new Map<number, H2Stream>();
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE. */
  peerInitialWindow = DEFAULT_WINDOW;
  closed = false;
  /** The highest stream id the peer opened. */
  lastStream = 0;
  private readonly decoder = new HpackDecoder();
  private readonly encoder: HpackEncoder;
  private readonly streamWindow: number;
  private readonly connectionWindow: number;
  private recvUnacked = 0;
  private recvOutstanding = 0;
  private inBuf: Buffer = Buffer.alloc(0);
  private prefacePending = true;
  private settingsSeen = false;
  /** A header block waiting for CONTINUATION frames. */
  private pendingBlock: { stream: number; flags: number; parts: Buffer[]; size: number } | undefined;
  private readonly outbound = new OutboundData({ write: (b) => this.write(b), queueDone: (s) => this.queueDone(s) });
  private readonly batch: WriteBatch;
  private goawaySent = false;
  private keepalive: Keepalive | undefined;

  constructor(
    readonly socket: Socket,
    private readonly opts: H2ConnectionOptions,
  ) {
    this.batch = new WriteBatch(socket);
    this.streamWindow = opts.streamWindow ?? DEFAULT_WINDOW;
    this.connectionWindow = opts.connectionWindow ?? DEFAULT_WINDOW;
    this.encoder = new HpackEncoder(4096, opts.noIndex);
    this.write(settingsFrame(this.streamWindow !== DEFAULT_WINDOW ? [[Setting.INITIAL_WINDOW_SIZE, this.streamWindow]] : []));
    if (this.connectionWindow > DEFAULT_WINDOW) this.write(u32Frame(Type.WINDOW_UPDATE, 0, this.connectionWindow - DEFAULT_WINDOW));
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    for (const e of ['close', 'end', 'error']) socket.on(e, () => this.end(undefined));
    socket.resume();
    if (opts.keepaliveMs !== undefined) {
      const onTimeout = (): void => this.end(new H2Error(ErrorCode.NO_ERROR, 'keepalive timeout'));
      const ping = (p: Buffer): void => this.write(frame(Type.PING, 0, 0, p));
      this.keepalive = new Keepalive(opts.keepaliveMs, opts.keepaliveTimeoutMs ?? 20_000, ping, onTimeout);
    }
  }

  /** Ends the connection: GOAWAY with `code`, then the socket. */
  close(code: ErrorCode = ErrorCode.NO_ERROR, debug = ''): void {
    if (this.closed) return;
    this.sendGoaway(code, debug);
    this.batch.flush();
    this.socket.end();
    const socket = this.socket;
    setTimeout(() => socket.destroy(), 1000).unref();
    this.end(code === ErrorCode.NO_ERROR ? undefined : new H2Error(code, debug), false);
  }

  // ---- sending ----

  write(b: Buffer): void {
    if (!this.closed) this.batch.write(b);
  }

  /** What is written so far leaves at the end of the current microtask checkpoint (an answer). */
  expedite(): void {
    this.batch.soon();
  }

  sendHeaders(s: H2Stream, fields: string[], endStream: boolean): void {
    this.write(headerFrames(s.id, this.encoder.encode(fields), endStream, this.outbound.peerMaxFrame));
    if (endStream) this.maybeClosed(s);
  }

  sendData(s: H2Stream, chunk: Buffer, endStream: boolean): void {
    if (this.outbound.send(s, chunk, endStream) && endStream) this.maybeClosed(s);
  }

  /** A stream's queued DATA has gone out: its drain callbacks, then its trailers or its end. */
  private queueDone(s: H2Stream): void {
    const drained = s.drained;
    s.drained = undefined;
    if (drained !== undefined) for (const fn of drained) fn();
    if (s.trailers !== undefined) {
      const t = s.trailers;
      s.trailers = undefined;
      this.sendHeaders(s, t, true);
    } else if (s.queueEnd) this.maybeClosed(s);
  }

  resetStream(s: H2Stream, code: ErrorCode): void {
    this.write(u32Frame(Type.RST_STREAM, s.id, code));
    this.closeStream(s, code);
  }

  streamConsumed(s: H2Stream, n: number): void {
    if (s.closed || s.remoteEnded) return;
    s.recvUnacked += n;
    if (s.recvUnacked >= this.streamWindow / 2) {
      this.write(u32Frame(Type.WINDOW_UPDATE, s.id, s.recvUnacked));
      s.recvOutstanding -= s.recvUnacked;
      s.recvUnacked = 0;
    }
  }

  private maybeClosed(s: H2Stream): void {
    if (s.localEnded && s.remoteEnded && s.queue.length === 0 && s.trailers === undefined) this.closeStream(s, ErrorCode.NO_ERROR);
  }

  private closeStream(s: H2Stream, code: ErrorCode): void {
    if (s.closed) return;
    s.closed = true;
    this.streams.delete(s.id);
    this.outbound.forget(s);
    s.queue = [];
    s.drained = undefined;
    const cb = s.onClose;
    s.onClose = undefined;
    s.onData = undefined;
    cb?.call(s, code);
  }

  private sendGoaway(code: ErrorCode, debug: string): void {
    if (this.goawaySent) return;
    this.goawaySent = true;
    this.write(goawayFrame(this.lastStream, code, debug));
  }

  private end(err: H2Error | undefined, destroy = true): void {
    if (this.closed) return;
    this.closed = true;
    this.batch.stop();
    this.keepalive?.stop();
    for (const s of [...this.streams.values()]) this.closeStream(s, ErrorCode.CANCEL);
    if (destroy && !this.socket.destroyed) this.socket.destroy();
    this.opts.onClose?.(err);
  }

  // ---- receiving ----

  private onSocketData(chunk: Buffer): void {
    if (this.closed) return;
    let buf = this.inBuf.length === 0 ? chunk : Buffer.concat([this.inBuf, chunk]);
    let p = 0;
    try {
      if (this.prefacePending) {
        if (buf.length < PREFACE.length) {
          if (!PREFACE.subarray(0, buf.length).equals(buf)) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'bad preface');
          this.inBuf = buf;
          return;
        }
        if (!buf.subarray(0, PREFACE.length).equals(PREFACE)) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'bad preface');
        this.prefacePending = false;
        p = PREFACE.length;
      }
      while (buf.length - p >= FRAME_HEADER && !this.closed) {
        const len = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
        if (len > DEFAULT_MAX_FRAME) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, `frame of ${len} octets`);
        if (buf.length - p < FRAME_HEADER + len) break;
        const type = buf[p + 3]!;
        const flags = buf[p + 4]!;
        const id = buf.readUInt32BE(p + 5) & 0x7fffffff;
        const payload = buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len);
        p += FRAME_HEADER + len;
        this.onFrame(type, flags, id, payload);
      }
    } catch (e) {
      const err = e instanceof H2Error ? e : e instanceof HpackError ? new H2Error(ErrorCode.COMPRESSION_ERROR, e.message) : undefined;
      if (err === undefined) throw e;
      this.close(err.code, err.message);
      return;
    }
    buf = p === buf.length ? EMPTY : buf.subarray(p);
    // Keep no more than the unread bytes (a slice of a large chunk would pin all of it).
    this.inBuf = buf.length > 0 && buf.buffer.byteLength > buf.length * 4 ? Buffer.from(buf) : buf;
  }

  private onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (!this.settingsSeen && type !== Type.SETTINGS) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'first frame is not SETTINGS');
    if (this.pendingBlock !== undefined && (type !== Type.CONTINUATION || id !== this.pendingBlock.stream)) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'expected CONTINUATION');
    }
    switch (type) {
      case Type.DATA:
        return this.onDataFrame(flags, id, payload);
      case Type.HEADERS:
        return this.onHeadersFrame(flags, id, payload);
      case Type.CONTINUATION: {
        const pb = this.pendingBlock;
        if (pb === undefined) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'unexpected CONTINUATION');
        pb.parts.push(Buffer.from(payload));
        pb.size += payload.length;
        if (pb.size > MAX_HEADER_BLOCK) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'header block too large');
        if ((flags & Flag.END_HEADERS) !== 0) {
          this.pendingBlock = undefined;
          this.onHeaderBlock(pb.stream, pb.flags, Buffer.concat(pb.parts));
        }
        return;
      }
      case Type.PRIORITY:
        if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        return expectSize(payload, 5, 'PRIORITY');
      case Type.RST_STREAM: {
        if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        expectSize(payload, 4, 'RST_STREAM');
        this.checkKnown(id);
        const s = this.streams.get(id);
        if (s !== undefined) this.closeStream(s, payload.readUInt32BE(0));
        return;
      }
      case Type.SETTINGS:
        return this.onSettings(flags, id, payload);
      case Type.PUSH_PROMISE:
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE');
      case Type.PING:
        if (id !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        expectSize(payload, 8, 'PING');
        if ((flags & ACK) === 0) this.write(frame(Type.PING, ACK, 0, payload));
        else this.keepalive?.acked(payload);
        return;
      case Type.GOAWAY:
        if (id !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        // The peer opens no more streams; those open go on until done.
        return;
      case Type.WINDOW_UPDATE:
        return this.onWindowUpdate(id, payload);
      default:
        return; // unknown frame types are ignored
    }
  }

  /** A stream id the peer refers to that was never opened is a protocol error (idle stream). */
  private checkKnown(id: number): void {
    // Streams this end would open (even ids) are never opened: any frame on one is on an idle stream.
    if (id % 2 === 0 || id > this.lastStream) throw new H2Error(ErrorCode.PROTOCOL_ERROR, `frame on idle stream ${id}`);
  }

  private onSettings(flags: number, id: number, p: Buffer): void {
    if (id !== 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & ACK) !== 0) return expectSize(p, 0, 'SETTINGS ack');
    this.settingsSeen = true;
    for (const [setting, v] of settingsOf(p)) {
      if (setting === Setting.HEADER_TABLE_SIZE) this.encoder.setPeerMaxTableSize(v);
      else if (setting === Setting.MAX_FRAME_SIZE) this.outbound.peerMaxFrame = v;
      else if (setting === Setting.INITIAL_WINDOW_SIZE) {
        const delta = v - this.peerInitialWindow;
        this.peerInitialWindow = v;
        for (const s of this.streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
        }
      }
    }
    this.write(frame(Type.SETTINGS, ACK, 0));
    this.outbound.drain();
  }

  private onWindowUpdate(id: number, p: Buffer): void {
    expectSize(p, 4, 'WINDOW_UPDATE');
    const inc = p.readUInt32BE(0) & 0x7fffffff;
    if (id === 0) {
      if (inc === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.outbound.sendWindow += inc;
      if (this.outbound.sendWindow > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'connection window overflow');
    } else {
      this.checkKnown(id);
      const s = this.streams.get(id);
      if (s === undefined) return;
      if (inc === 0) return s.reset(ErrorCode.PROTOCOL_ERROR);
      s.sendWindow += inc;
      if (s.sendWindow > MAX_WINDOW) return s.reset(ErrorCode.FLOW_CONTROL_ERROR);
    }
    this.outbound.drain();
  }

  private onDataFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const len = payload.length;
    // The peer must stay inside the windows this end advertised (RFC 9113, 6.9.1).
    this.recvOutstanding += len;
    if (this.recvOutstanding > this.connectionWindow) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.recvUnacked += len;
    if (this.recvUnacked >= this.connectionWindow / 2) {
      this.write(u32Frame(Type.WINDOW_UPDATE, 0, this.recvUnacked));
      this.recvOutstanding -= this.recvUnacked;
      this.recvUnacked = 0;
    }
    const data = dataOf(flags, payload);
    this.checkKnown(id);
    const s = this.streams.get(id);
    if (s === undefined) return; // closed here already (answered, or reset): dropped
    if (s.remoteEnded) return s.reset(ErrorCode.STREAM_CLOSED);
    s.recvOutstanding += len;
    if (s.recvOutstanding > this.streamWindow) return s.reset(ErrorCode.FLOW_CONTROL_ERROR);
    const end = (flags & Flag.END_STREAM) !== 0;
    if (end) s.remoteEnded = true;
    else if (s.autoConsume) this.streamConsumed(s, len);
    else if (len > data.length) this.streamConsumed(s, len - data.length); // padding: never handed to the owner
    s.onData?.(data, end);
    if (end) this.maybeClosed(s);
  }

  private onHeadersFrame(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new H2Error(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    const [start, end] = headersFragment(flags, payload);
    const block = payload.subarray(start, end);
    if ((flags & Flag.END_HEADERS) === 0) {
      this.pendingBlock = { stream: id, flags, parts: [Buffer.from(block)], size: block.length };
      return;
    }
    this.onHeaderBlock(id, flags, block);
  }

  private onHeaderBlock(id: number, flags: number, block: Buffer): void {
    const fields: string[] = [];
    this.decoder.decode(block, 0, block.length, fields); // always: the table must stay in step
    const endStream = (flags & Flag.END_STREAM) !== 0;
    const existing = this.streams.get(id);
    if (existing !== undefined) {
      if (existing.remoteEnded) return existing.reset(ErrorCode.STREAM_CLOSED);
      // Trailers from the client end its side of the stream as a last empty DATA would.
      if (endStream) {
        existing.remoteEnded = true;
        existing.onData?.(EMPTY, true);
        this.maybeClosed(existing);
      }
      return;
    }
    if (id % 2 === 0 || id <= this.lastStream) {
      if (id % 2 === 1) {
        // A stream that was closed: STREAM_CLOSED (RFC 9113 5.1).
        throw new H2Error(ErrorCode.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
      }
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `HEADERS opening stream ${id}`);
    }
    this.lastStream = id;
    if (this.goawaySent) return;
    const s = new H2Stream(this, id, this.peerInitialWindow);
    s.fields = fields;
    s.remoteEnded = endStream;
    this.streams.set(id, s);
    this.opts.onStream?.(s, endStream);
  }
}

const EMPTY = Buffer.alloc(0);
