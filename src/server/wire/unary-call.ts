/**
 * One unary gRPC call served straight on its HTTP/2 stream (h2/h2-stream.ts: etcd-ts's own
 * HTTP/2, not node:http2), with grpc-js 1.14's server behaviour on the wire and towards the
 * handler (server.ts handleUnary, server-interceptors.ts BaseServerInterceptingCall): same
 * response headers and trailers, same statuses and texts for a bad request (message too large,
 * none, a second one, undecodable, bad grpc-timeout), the deadline answered with
 * DEADLINE_EXCEEDED, the handler's `(call, callback)` contract.
 *
 * What it leaves out is grpc-js's per-call machinery: a Writable stream, a message queue with a
 * promise per message, a listener object and several event-loop turns between the request's
 * end and the handler, and between the answer and its trailers: headers, message and trailers
 * are written together and leave in one writev. unary-routes.ts routes only
 * identity-encoded gRPC requests of registered unary methods here; everything else (streams,
 * compressed requests, a wrong content type, unknown methods) stays grpc-js's. One difference on
 * the wire: no `date` response header (grpc-go, so etcd, sends none either).
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http2';
import { TLSSocket } from 'node:tls';
import { Metadata } from '@grpc/grpc-js';
import type { H2Stream } from './h2/h2-stream';
import { headerFields } from './h2/grpc-js-stream';

/** A registered unary method: the (wrapped) handler and its message codecs. */
export interface UnaryRoute {
  readonly path: string;
  readonly func: (call: UnaryCall, callback: UnaryCallback) => void;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
}

export type UnaryCallback = (err: unknown, value?: unknown, trailer?: Metadata | null) => void;

export interface UnaryLimits {
  /** grpc.max_receive_message_length (-1: none). */
  readonly maxReceive: number;
  /** grpc.max_send_message_length (-1: none). */
  readonly maxSend: number;
}

interface Status {
  code: number;
  details: string;
  metadata?: Metadata | null;
}

const UNKNOWN = 2;
const INTERNAL = 13;
const UNIMPLEMENTED = 12;
const RESOURCE_EXHAUSTED = 8;
const DEADLINE_EXCEEDED = 4;

// No `date` header: grpc-go (etcd) sends none.
const RESPONSE_HEADERS = [
  ':status',
  '200',
  'content-type',
  'application/grpc+proto',
  'grpc-accept-encoding',
  'identity,deflate,gzip',
  'grpc-encoding',
  'identity',
];
const OK_TRAILERS = ['grpc-status', '0', 'grpc-message', 'OK'];
const DEADLINE_REGEX = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3600000, M: 60000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
/** Request headers grpc-js does not pass on to the handler's metadata. */
const NOT_METADATA = ['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type'];
/** Answers shorter than this are copied into one framed buffer. */
const COPY_BELOW = 2048;

/** A buffer of `size` bytes starting with the gRPC prefix of an uncompressed message of `length` bytes. */
function messagePrefix(length: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  b[0] = 0;
  b.writeUInt32BE(length, 1);
  return b;
}

/** The call object a unary handler gets (the parts of grpc-js's ServerUnaryCall etcd-ts uses). */
export class UnaryCall extends EventEmitter {
  request: unknown = undefined;
  cancelled = false;
  /** Called once when the call's HTTP/2 stream has closed (AnswersInFlight; no listener per call). */
  closed: (() => void) | undefined = undefined;
  private md: Metadata | undefined;

  constructor(
    readonly stream: H2Stream,
    private readonly headers: IncomingHttpHeaders,
    private readonly path: string,
    readonly deadline: number,
  ) {
    super();
  }

  /** The request's metadata, as grpc-js builds it (made when first asked for). */
  get metadata(): Metadata {
    if (this.md === undefined) {
      const md = Metadata.fromHttp2Headers(this.headers);
      for (const h of NOT_METADATA) md.remove(h);
      this.md = md;
    }
    return this.md;
  }

  /** One request header's first value, without building the metadata. */
  header(name: string): string | undefined {
    const v = this.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  getPath(): string {
    return this.path;
  }

  getDeadline(): number {
    return this.deadline;
  }

  getPeer(): string {
    const s = this.stream.session.socket;
    if (s.remoteAddress) return s.remotePort ? `${s.remoteAddress}:${s.remotePort}` : s.remoteAddress;
    return 'unknown';
  }

  getAuthContext(): { transportSecurityType?: string; sslPeerCertificate?: ReturnType<TLSSocket['getPeerCertificate']> } {
    const s = this.stream.session.socket;
    if (!(s instanceof TLSSocket) || !s.authorized) return {};
    const cert = s.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: cert.raw ? cert : undefined };
  }
}

/** grpc-js's serverErrorToStatus. */
function errorStatus(err: unknown, trailer: Metadata | null | undefined): Status {
  const e = err as { message?: unknown; code?: unknown; details?: unknown; metadata?: Metadata } & object;
  const status: Status = {
    code: UNKNOWN,
    details: typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : 'Unknown Error',
    metadata: trailer ?? e?.metadata ?? null,
  };
  if (typeof e?.code === 'number' && Number.isInteger(e.code)) {
    status.code = e.code;
    if (typeof e.details === 'string') status.details = e.details;
  }
  return status;
}

/** One unary call's state; dropped from its stream when the stream closes. */
class CallState {
  finished = false;
  timer: NodeJS.Timeout | undefined = undefined;
  call: UnaryCall | undefined = undefined;
  message: Buffer | undefined = undefined;
  chunks: Buffer[] = [];
  have = 0;
  need = -1;
  messages = 0;
  answered = false;
  deadline = Infinity;
  /** The callback the handler answers through. */
  readonly respond: UnaryCallback = (err, value, trailer) => this.answer(err, value, trailer);

  constructor(
    readonly stream: H2Stream,
    readonly headers: IncomingHttpHeaders,
    readonly route: UnaryRoute,
    readonly limits: UnaryLimits,
  ) {}

  /** The call is over: no more answers; a handler still working is told it was cancelled. */
  finish(): void {
    this.finished = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const c = this.call;
    if (c !== undefined && !this.answered) {
      process.nextTick(() => {
        c.cancelled = true;
        c.emit('cancelled', 'cancelled');
      });
    }
  }

  gone(): boolean {
    if (!this.finished && this.stream.closed) this.finish();
    return this.finished;
  }

  sendStatus(s: Status): void {
    if (this.gone()) return;
    this.finish();
    const md = s.metadata ? s.metadata.toHttp2Headers() : undefined;
    // A unary call's headers go out with its message, so an error is a trailers-only response.
    const fields = headerFields({
      ':status': 200,
      'content-type': 'application/grpc+proto',
      'grpc-status': String(s.code),
      'grpc-message': encodeURI(s.details),
      ...md,
    });
    this.stream.headers(fields, true);
    this.stream.conn.expedite();
  }

  answer(err: unknown, value: unknown, trailer: Metadata | null | undefined): void {
    if (this.gone()) return;
    this.answered = true;
    if (err) {
      this.sendStatus(errorStatus(err, trailer));
      return;
    }
    let body: Buffer;
    try {
      body = this.route.serialize(value);
    } catch {
      this.sendStatus({ code: INTERNAL, details: 'Error serializing response' });
      return;
    }
    const maxSend = this.limits.maxSend;
    if (maxSend !== -1 && body.length > maxSend) {
      this.sendStatus({ code: RESOURCE_EXHAUSTED, details: `Sent message larger than max (${body.length + 5} vs. ${maxSend})` });
      return;
    }
    this.finish();
    const stream = this.stream;
    stream.headers(RESPONSE_HEADERS, false);
    if (body.length < COPY_BELOW) {
      const frame = messagePrefix(body.length, body.length + 5);
      body.copy(frame, 5);
      stream.data(frame, false);
    } else {
      // A large answer is not copied behind its prefix: both go out in one writev.
      stream.data(messagePrefix(body.length, 5), false);
      stream.data(body, false);
    }
    stream.headers(trailer ? headerFields({ 'grpc-status': '0', 'grpc-message': 'OK', ...trailer.toHttp2Headers() }) : OK_TRAILERS, true);
    stream.conn.expedite();
  }

  onMessage(framed: Buffer): void {
    if (++this.messages > 1) {
      this.sendStatus({ code: UNIMPLEMENTED, details: `Received a second request message for server streaming method ${this.route.path}` });
      return;
    }
    this.message = framed;
  }

  onData(chunk: Buffer): void {
    if (this.gone()) return;
    this.chunks.push(chunk);
    this.have += chunk.length;
    while (!this.finished) {
      if (this.need < 0) {
        if (this.have < 5) return;
        const head = this.chunks[0]!.length >= 5 ? this.chunks[0]! : Buffer.concat(this.chunks, this.have);
        const size = head.readUInt32BE(1);
        const maxReceive = this.limits.maxReceive;
        if (maxReceive !== -1 && size > maxReceive) {
          this.sendStatus({ code: RESOURCE_EXHAUSTED, details: `Received message larger than max (${size} vs ${maxReceive})` });
          return;
        }
        this.need = size + 5;
      }
      if (this.have < this.need) return;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.have);
      // A copy: the stored request must not keep the HTTP/2 read buffer alive.
      const body = Buffer.allocUnsafe(this.need - 5);
      all.copy(body, 0, 5, this.need);
      const rest = all.subarray(this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.have = rest.length;
      this.need = -1;
      this.onMessage(body);
    }
  }

  onEnd(): void {
    if (this.gone()) return;
    if (this.message === undefined) {
      this.sendStatus({ code: UNIMPLEMENTED, details: `Received no request message for server streaming method ${this.route.path}` });
      return;
    }
    let request: unknown;
    try {
      request = this.route.deserialize(this.message);
    } catch {
      this.sendStatus({ code: INTERNAL, details: 'Error deserializing request' });
      return;
    }
    this.message = undefined;
    const call = new UnaryCall(this.stream, this.headers, this.route.path, this.deadline);
    this.call = call;
    call.request = request;
    try {
      this.route.func(call, this.respond);
    } catch {
      this.answered = true;
      this.sendStatus({ code: UNKNOWN, details: 'Unknown error' });
    }
  }

  onClose(): void {
    if (!this.finished) this.finish();
    const call = this.call;
    const closed = call?.closed;
    if (closed !== undefined) {
      call!.closed = undefined;
      // The stream closes when its trailers are queued; they reach the socket in the
      // connection's flush, an immediate queued before this one.
      setImmediate(closed);
    }
  }
}

/** Serves one unary call on `stream`; the caller checked the content type and encoding. */
export function serveUnary(stream: H2Stream, headers: IncomingHttpHeaders, route: UnaryRoute, limits: UnaryLimits): void {
  const st = new CallState(stream, headers, route, limits);
  stream.owner = st;
  stream.onData = onData;
  stream.onClose = onClose;
  const timeout = headers['grpc-timeout'];
  if (timeout !== undefined) {
    const match = String(timeout).match(DEADLINE_REGEX);
    if (match === null) {
      // grpc-js answers on the next tick, before any of the request is read: here, at once.
      st.sendStatus({ code: INTERNAL, details: `Invalid grpc-timeout value "${String(timeout)}"` });
    } else {
      const ms = (Number(match[1]) * UNIT_MS[match[2]!]!) | 0;
      st.deadline = Date.now() + ms;
      st.timer = setTimeout(() => st.sendStatus({ code: DEADLINE_EXCEEDED, details: 'Deadline exceeded' }), ms);
    }
  }
  // HEADERS with END_STREAM: a request without a message.
  if (stream.remoteEnded) process.nextTick(() => st.onEnd());
}

// Shared callbacks (no closures per call): each finds its call's state on the stream.
function onData(this: H2Stream, chunk: Buffer, end: boolean): void {
  const st = this.owner as CallState | undefined;
  if (st === undefined) return;
  if (chunk.length > 0) st.onData(chunk);
  if (end) st.onEnd();
}
function onClose(this: H2Stream): void {
  const st = this.owner as CallState | undefined;
  // Nothing of the call (request, answer, handler state) stays reachable from the stream.
  this.owner = undefined;
  st?.onClose();
}
