/**
 * etcd-ts's HTTP/2 server end (wire/h2/h2-connection.ts) at the frame level, with a raw socket
 * and with node:http2's client: SETTINGS and PING answered, header blocks over CONTINUATION
 * frames, answers larger than the peer's windows (flow control), request streams through
 * grpc-js (GrpcJsStream) answered as grpc-js answers them, and each protocol violation ending
 * the connection with GOAWAY and RFC 9113's error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, method } from '../../src/server/wire/protos';
import { UnaryRoutes } from '../../src/server/wire/unary-routes';
import { newestHttp2Server } from '../../src/server/wire/grpc-js-call';
import { HpackEncoder } from '../../src/server/wire/h2/hpack-encoder';
import { HpackDecoder } from '../../src/server/wire/h2/hpack-decoder';
import { ErrorCode, frame, PREFACE, settingsFrame, Setting, Type, u32Frame } from '../../src/server/wire/h2/frames';
import { H2Connection } from '../../src/server/wire/h2/h2-connection';
import type { H2Stream } from '../../src/server/wire/h2/h2-stream';
import { PassThrough } from 'node:stream';

const KV = serviceDefinition('etcdserverpb.KV');
const LEASE = serviceDefinition('etcdserverpb.Lease');
const MAINT = serviceDefinition('etcdserverpb.Maintenance');
const range = method('etcdserverpb.KV', 'Range');
const keepAlive = method('etcdserverpb.Lease', 'LeaseKeepAlive');
const snapshot = method('etcdserverpb.Maintenance', 'Snapshot');
const HEADER = { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' };

interface Server {
  port: number;
  cancelled: string[];
  close(): Promise<void>;
}

/** A grpc-js server with KV.Range, Lease.LeaseKeepAlive (echo) and Maintenance.Snapshot; `own`: served by etcd-ts's HTTP/2. */
async function start(own: boolean): Promise<Server> {
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  const cancelled: string[] = [];
  type Cb = grpc.sendUnaryData<unknown>;
  const kv: grpc.UntypedServiceImplementation = {
    Range: (call: grpc.ServerUnaryCall<{ key: Buffer }, unknown>, cb: Cb) => {
      const n = Number(call.request.key.toString() || '0');
      cb(null, { header: HEADER, kvs: n > 0 ? [{ key: Buffer.from('k'), value: Buffer.alloc(n, 7) }] : [], count: '1' });
    },
  };
  const lease: grpc.UntypedServiceImplementation = {
    LeaseKeepAlive: (call: grpc.ServerDuplexStream<{ ID: string }, unknown>) => {
      call.on('data', (r: { ID: string }) => {
        if (r.ID === '99') call.emit('error', { code: grpc.status.NOT_FOUND, details: 'etcdserver: requested lease not found' });
        else call.write({ header: HEADER, ID: r.ID, TTL: '5' });
      });
      call.on('end', () => call.end());
      call.on('cancelled', () => cancelled.push('keepalive'));
    },
  };
  const maint: grpc.UntypedServiceImplementation = {
    Snapshot: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      let i = 0;
      const more = (): void => {
        while (i < 40) {
          i++;
          if (!call.write({ header: HEADER, remaining_bytes: String(40 - i), blob: Buffer.alloc(100_000, i) })) {
            call.once('drain', more);
            return;
          }
        }
        call.end();
      };
      more();
    },
  };
  server.addService(KV, kv);
  server.addService(LEASE, lease);
  server.addService(MAINT, maint);
  const routes = new UnaryRoutes({ maxReceive: 4 << 20, maxSend: -1 });
  routes.add(KV, kv);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  if (own) assert.equal(routes.attach(newestHttp2Server(server)), true);
  const net = createNetServer((s) => (own ? routes.serve(s) : injector.injectConnection(s)));
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  return {
    port: (net.address() as AddressInfo).port,
    cancelled,
    close: async () => {
      server.forceShutdown();
      injector.destroy();
      for (const c of routes.connections) c.close();
      await new Promise<void>((r) => net.close(() => r()));
    },
  };
}

function framed(body: Buffer): Buffer {
  const f = Buffer.alloc(5 + body.length);
  f.writeUInt32BE(body.length, 1);
  body.copy(f, 5);
  return f;
}

interface Answer {
  headers: Record<string, unknown>;
  body: Buffer;
  trailers: Record<string, unknown>;
}

const clean = (h: IncomingHttpHeaders): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'date') out[k] = v;
  return out;
};

async function call(session: ClientHttp2Session, path: string, messages: Buffer[], extra: Record<string, string> = {}): Promise<Answer> {
  const s = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
  const out: Answer = { headers: {}, body: Buffer.alloc(0), trailers: {} };
  const data: Buffer[] = [];
  s.on('response', (h) => (out.headers = clean(h)));
  s.on('trailers', (t) => (out.trailers = clean(t)));
  s.on('data', (d: Buffer) => data.push(d));
  for (const m of messages) s.write(framed(m));
  s.end();
  await new Promise<void>((resolve, reject) => {
    s.on('close', resolve);
    s.on('error', reject);
  });
  out.body = Buffer.concat(data);
  return out;
}

test('answers larger than the client windows, streams and server streams answer as grpc-js does', async () => {
  const plain = await start(false);
  const own = await start(true);
  // Small windows: every answer below waits for WINDOW_UPDATEs.
  const settings = { initialWindowSize: 10_000 };
  const a = h2connect(`http://127.0.0.1:${plain.port}`, { settings });
  const b = h2connect(`http://127.0.0.1:${own.port}`, { settings });
  try {
    const cases: [string, string, Buffer[]][] = [
      ['unary, 3 MB answer', range.path, [range.requestSerialize({ key: Buffer.from('3000000') })]],
      ['unary, small answer', range.path, [range.requestSerialize({ key: Buffer.from('10') })]],
      ['bidi stream, three messages', keepAlive.path, ['1', '2', '3'].map((ID) => keepAlive.requestSerialize({ ID }))],
      ['bidi stream ended by an error', keepAlive.path, ['1', '99'].map((ID) => keepAlive.requestSerialize({ ID }))],
      ['server stream of 4 MB', snapshot.path, [snapshot.requestSerialize({})]],
      ['server stream without its request', snapshot.path, []],
      ['unknown method', '/etcdserverpb.KV/Nope', [Buffer.alloc(0)]],
    ];
    for (const [name, path, msgs] of cases) {
      const want = await call(a, path, msgs);
      const got = await call(b, path, msgs);
      assert.deepEqual(got.headers, want.headers, name);
      assert.deepEqual(got.trailers, want.trailers, name);
      assert.equal(got.body.length, want.body.length, name);
      assert.ok(got.body.equals(want.body), name);
    }
    const wrongType = await call(b, range.path, [], { 'content-type': 'text/plain' });
    assert.equal(wrongType.headers[':status'], 415);
  } finally {
    a.close();
    b.close();
    await plain.close();
    await own.close();
  }
});

test("a client's cancel of a stream reaches the grpc-js handler", async () => {
  const own = await start(true);
  const s = h2connect(`http://127.0.0.1:${own.port}`);
  try {
    const st = s.request({ ':method': 'POST', ':path': keepAlive.path, 'content-type': 'application/grpc', te: 'trailers' });
    st.write(framed(keepAlive.requestSerialize({ ID: '1' })));
    await new Promise((r) => st.once('data', r));
    st.close(ErrorCode.CANCEL);
    for (let i = 0; i < 100 && own.cancelled.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(own.cancelled, ['keepalive']);
  } finally {
    s.close();
    await own.close();
  }
});

/** A raw HTTP/2 client: sends bytes, collects the server's frames. */
class Raw {
  readonly frames: { type: number; flags: number; id: number; payload: Buffer }[] = [];
  private buf = Buffer.alloc(0);
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 9) {
        const len = this.buf.readUIntBE(0, 3);
        if (this.buf.length < 9 + len) break;
        this.frames.push({ type: this.buf[3]!, flags: this.buf[4]!, id: this.buf.readUInt32BE(5), payload: this.buf.subarray(9, 9 + len) });
        this.buf = this.buf.subarray(9 + len);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async open(port: number, preface = true): Promise<Raw> {
    const socket = netConnect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const raw = new Raw(socket);
    if (preface) socket.write(Buffer.concat([PREFACE, settingsFrame([])]));
    return raw;
  }

  async until(pred: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 300 && !pred(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(pred(), what);
  }

  /** The GOAWAY's error code once the server has sent one and closed. */
  async goaway(): Promise<number> {
    await this.until(() => this.frames.some((f) => f.type === Type.GOAWAY), 'no GOAWAY');
    await this.until(() => this.closed, 'connection not closed after GOAWAY');
    return this.frames.find((f) => f.type === Type.GOAWAY)!.payload.readUInt32BE(4);
  }
}

const requestFields = [
  ':method',
  'POST',
  ':scheme',
  'http',
  ':path',
  range.path,
  ':authority',
  'x',
  'content-type',
  'application/grpc',
  'te',
  'trailers',
];

test('raw frames: SETTINGS and PING answered, CONTINUATION, a bad request reset, violations end the connection', async () => {
  const own = await start(true);
  try {
    const r = await Raw.open(own.port);
    r.socket.write(frame(Type.PING, 0, 0, Buffer.from('12345678')));
    await r.until(() => r.frames.some((f) => f.type === Type.PING && f.flags === 1), 'no PING ack');
    assert.equal(r.frames.find((f) => f.type === Type.PING)!.payload.toString(), '12345678');
    assert.ok(
      r.frames.some((f) => f.type === Type.SETTINGS && f.flags === 1),
      'no SETTINGS ack',
    );
    // A header block in three pieces (HEADERS, CONTINUATION, CONTINUATION), then the message.
    const block = new HpackEncoder().encode([...requestFields, 'x-big', 'v'.repeat(40_000)]);
    const cut = [0, 16_000, 32_000, block.length];
    r.socket.write(frame(Type.HEADERS, 0, 1, block.subarray(cut[0], cut[1])));
    r.socket.write(frame(Type.CONTINUATION, 0, 1, block.subarray(cut[1], cut[2])));
    r.socket.write(frame(Type.CONTINUATION, 4, 1, block.subarray(cut[2], cut[3])));
    r.socket.write(frame(Type.DATA, 1, 1, framed(range.requestSerialize({ key: Buffer.from('5') }))));
    await r.until(() => r.frames.some((f) => f.type === Type.HEADERS && f.id === 1 && (f.flags & 1) === 1), 'no trailers');
    const dec = new HpackDecoder();
    const fields: string[] = [];
    for (const f of r.frames.filter((x) => x.type === Type.HEADERS && x.id === 1)) dec.decode(f.payload, 0, f.payload.length, fields);
    assert.deepEqual(fields.slice(0, 2), [':status', '200']);
    assert.deepEqual(fields.slice(-4), ['grpc-status', '0', 'grpc-message', 'OK']);
    // An upper-case header name: the stream is reset (PROTOCOL_ERROR), the connection lives on.
    r.socket.write(frame(Type.HEADERS, 5, 3, new HpackEncoder(0).encode([...requestFields, 'X-Up', '1'])));
    await r.until(() => r.frames.some((f) => f.type === Type.RST_STREAM && f.id === 3), 'no RST_STREAM');
    assert.equal(r.frames.find((f) => f.type === Type.RST_STREAM && f.id === 3)!.payload.readUInt32BE(0), ErrorCode.PROTOCOL_ERROR);
    assert.equal(r.closed, false);
    r.socket.destroy();

    const violations: [string, Buffer, ErrorCode][] = [
      ['DATA on an idle stream', frame(Type.DATA, 0, 7, Buffer.from('x')), ErrorCode.PROTOCOL_ERROR],
      ['a frame over 16,384 octets', frame(Type.DATA, 0, 1, Buffer.alloc(16_385)), ErrorCode.FRAME_SIZE_ERROR],
      ['a bad HPACK block', frame(Type.HEADERS, 5, 1, Buffer.from([0x80])), ErrorCode.COMPRESSION_ERROR],
      ['CONTINUATION without HEADERS', frame(Type.CONTINUATION, 4, 1, Buffer.from([0x82])), ErrorCode.PROTOCOL_ERROR],
      ['PING of 7 octets', frame(Type.PING, 0, 0, Buffer.alloc(7)), ErrorCode.FRAME_SIZE_ERROR],
      ['window over 2^31-1', u32Frame(Type.WINDOW_UPDATE, 0, 2 ** 31 - 1), ErrorCode.FLOW_CONTROL_ERROR],
      ['MAX_FRAME_SIZE below 16,384', settingsFrame([[Setting.MAX_FRAME_SIZE, 100]]), ErrorCode.PROTOCOL_ERROR],
      ['HEADERS on stream 2', frame(Type.HEADERS, 5, 2, new HpackEncoder().encode(requestFields)), ErrorCode.PROTOCOL_ERROR],
    ];
    for (const [what, bytes, code] of violations) {
      const v = await Raw.open(own.port);
      v.socket.write(bytes);
      assert.equal(await v.goaway(), code, what);
    }
    const noSettings = await Raw.open(own.port, false);
    noSettings.socket.write(Buffer.concat([PREFACE, frame(Type.PING, 0, 0, Buffer.alloc(8))]));
    assert.equal(await noSettings.goaway(), ErrorCode.PROTOCOL_ERROR, 'first frame not SETTINGS');
    const badPreface = await Raw.open(own.port, false);
    badPreface.socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'));
    await badPreface.until(() => badPreface.closed, 'bad preface: connection not closed');
  } finally {
    await own.close();
  }
});

test('DATA beyond the stream window this end advertised resets the stream (FLOW_CONTROL_ERROR)', async () => {
  // A stream whose owner consumes nothing (as grpc-js's paused streams): the peer may send one
  // window's worth, not an octet more.
  const socket = new PassThrough();
  const written: Buffer[] = [];
  (socket as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => written.push(Buffer.from(b)) > 0;
  (socket as unknown as { cork: () => void; uncork: () => void }).cork = () => undefined;
  (socket as unknown as { cork: () => void; uncork: () => void }).uncork = () => undefined;
  const window = 65_536;
  const streams: H2Stream[] = [];
  const conn = new H2Connection(socket as unknown as Socket, {
    streamWindow: window,
    connectionWindow: 1 << 24,
    onStream: (s) => {
      s.autoConsume = false;
      streams.push(s);
    },
  });
  const block = new HpackEncoder().encode(requestFields);
  const chunk = Buffer.alloc(16_384);
  const frames = [PREFACE, settingsFrame([]), frame(Type.HEADERS, 4, 1, block)];
  for (let sent = 0; sent < window; sent += chunk.length) frames.push(frame(Type.DATA, 0, 1, chunk));
  socket.emit('data', Buffer.concat(frames));
  await new Promise((r) => setImmediate(r));
  assert.equal(streams.length, 1);
  assert.equal(streams[0]!.closed, false, 'a full window is allowed');
  socket.emit('data', frame(Type.DATA, 0, 1, Buffer.alloc(1)));
  await new Promise((r) => setImmediate(r));
  assert.equal(streams[0]!.closed, true);
  const out = Buffer.concat(written);
  const rst = findFrame(out, Type.RST_STREAM, 1);
  assert.ok(rst !== undefined, 'no RST_STREAM');
  assert.equal(rst.readUInt32BE(0), ErrorCode.FLOW_CONTROL_ERROR);
  assert.equal(conn.closed, false, 'the connection lives on');
  conn.close();
});

/** The payload of the first frame of `type` on stream `id` in a run of frames. */
function findFrame(out: Buffer, type: Type, id: number): Buffer | undefined {
  for (let p = 0; p + 9 <= out.length;) {
    const len = out.readUIntBE(p, 3);
    if (out[p + 3] === type && (out.readUInt32BE(p + 5) & 0x7fffffff) === id) return out.subarray(p + 9, p + 9 + len);
    p += 9 + len;
  }
  return undefined;
}
