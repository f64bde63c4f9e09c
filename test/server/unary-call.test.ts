/**
 * Unary calls served by wire/unary-call.ts answer exactly as grpc-js does: the same raw HTTP/2
 * requests (good ones, and every kind of bad one) are sent to a grpc-js server with the fast
 * path and to one without, and the response headers, bodies and trailers must be identical
 * (except the date). Also: the installed grpc-js is the layout the fast path hooks into (if an
 * upgrade breaks that, this fails rather than silently losing the fast path), a real grpc-js
 * client gets its answers through it, and a handler learns of a deadline or a client's cancel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { createServer as createNetServer, type Server as NetServer, type AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, method } from '../../src/server/wire/protos';
import { UnaryRoutes } from '../../src/server/wire/unary-routes';
import { newestHttp2Server } from '../../src/server/wire/grpc-js-call';
import type { UnaryCall } from '../../src/server/wire/unary-call';
import { AnswersInFlight } from '../../src/server/engine/answers-in-flight';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const MAX = 1000;
const KV = serviceDefinition('etcdserverpb.KV');
const range = method('etcdserverpb.KV', 'Range');
const HEADER = { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' };

interface Harness {
  port: number;
  routes: UnaryRoutes;
  fastPath: boolean;
  cancelled: string[];
  /** Keys whose handler has started. */
  started: string[];
  close(): Promise<void>;
}

type Cb = (e: grpc.ServerErrorResponse | Partial<grpc.StatusObject> | null, v?: unknown, trailer?: grpc.Metadata) => void;

async function start(fast: boolean): Promise<Harness> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX, 'grpc.enable_channelz': 0 });
  const cancelled: string[] = [];
  const started: string[] = [];
  const impl: grpc.UntypedServiceImplementation = {
    Range: (call: grpc.ServerUnaryCall<{ key: Buffer }, unknown>, cb: Cb): void => {
      const key = call.request.key.toString();
      started.push(key);
      call.on('cancelled', () => cancelled.push(key));
      const md = call.metadata.get('x-test');
      if (key === 'ok') cb(null, { header: HEADER, count: String(md.length), kvs: [] });
      else if (key === 'trailer') {
        const t = new grpc.Metadata();
        t.set('x-trailer', 'yes');
        cb(null, { header: HEADER }, t);
      } else if (key === 'err') {
        const m = new grpc.Metadata();
        m.set('x-err', 'e');
        cb({ code: grpc.status.NOT_FOUND, details: 'etcdserver: key not found ü', metadata: m });
      } else if (key === 'plain') cb(new Error('plain error text'));
      else if (key === 'throw') throw new Error('thrown');
      else if (key === 'big') cb(null, { header: HEADER, kvs: [{ key: Buffer.from('big'), value: Buffer.alloc(5000, 7) }], count: '1' });
      else if (key === 'badanswer') cb(null, { header: { revision: 'not a number' } });
      else if (key !== 'hang') cb(null, { header: HEADER, count: '7' });
      // 'hang': never answers.
    },
  };
  server.addService(KV, impl);
  const routes = new UnaryRoutes({ maxReceive: MAX, maxSend: -1 });
  routes.add(KV, impl);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const fastPath = fast ? routes.attach(newestHttp2Server(server)) : false;
  const net: NetServer = createNetServer((s) => (fastPath ? routes.serve(s) : injector.injectConnection(s)));
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  return {
    port: (net.address() as AddressInfo).port,
    routes,
    fastPath,
    cancelled,
    started,
    close: async () => {
      server.forceShutdown();
      injector.destroy();
      await new Promise<void>((r) => net.close(() => r()));
    },
  };
}

function frame(body: Buffer, flag = 0): Buffer {
  const f = Buffer.alloc(5 + body.length);
  f[0] = flag;
  f.writeUInt32BE(body.length, 1);
  body.copy(f, 5);
  return f;
}

const req = (key: string): Buffer => frame(range.requestSerialize({ key: Buffer.from(key) }));

interface Answer {
  headers: Record<string, unknown>;
  body: string;
  trailers: Record<string, unknown>;
}

function clean(h: IncomingHttpHeaders): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'date') out[k] = v;
  return out;
}

/** One raw request; `chunks` are written as separate DATA frames. */
async function send(
  session: ClientHttp2Session,
  chunks: Buffer[],
  extra: Record<string, string> = {},
  path = '/etcdserverpb.KV/Range',
): Promise<Answer> {
  const s = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
  const out: Answer = { headers: {}, body: '', trailers: {} };
  const data: Buffer[] = [];
  s.on('response', (h) => (out.headers = clean(h)));
  s.on('trailers', (t) => (out.trailers = clean(t)));
  s.on('data', (d: Buffer) => data.push(d));
  for (const c of chunks) s.write(c);
  s.end();
  await new Promise<void>((resolve, reject) => {
    s.on('close', resolve);
    s.on('error', reject);
  });
  out.body = Buffer.concat(data).toString('hex');
  return out;
}

const big = frame(Buffer.alloc(MAX + 1, 1));
const CASES: Array<[string, Buffer[], Record<string, string>?, string?]> = [
  ['ok', [req('ok')]],
  ['ok with metadata', [req('ok')], { 'x-test': 'a' }],
  ['ok split in DATA frames', [req('ok').subarray(0, 2), req('ok').subarray(2, 7), req('ok').subarray(7)]],
  ['trailer metadata', [req('trailer')]],
  ['large answer', [req('big')]],
  ['error with code and metadata', [req('err')]],
  ['plain error', [req('plain')]],
  ['handler throws', [req('throw')]],
  ['answer that does not serialize', [req('badanswer')]],
  ['no message', []],
  ['truncated message', [req('ok').subarray(0, 8)]],
  ['two messages', [req('ok'), req('ok')]],
  ['message too large', [big]],
  ['undecodable message', [frame(Buffer.from([0x0a, 0xff]))]],
  ['empty message', [frame(Buffer.alloc(0))]],
  ['compressed flag, identity encoding', [frame(range.requestSerialize({ key: Buffer.from('ok') }), 1)]],
  ['bad grpc-timeout', [req('ok')], { 'grpc-timeout': 'soon' }],
  ['deadline exceeded', [req('hang')], { 'grpc-timeout': '30m' }],
  ['deadline not reached', [req('ok')], { 'grpc-timeout': '10S' }],
  ['gzip encoding (grpc-js path)', [req('ok')], { 'grpc-encoding': 'gzip' }],
  ['unknown method (grpc-js path)', [req('ok')], {}, '/etcdserverpb.KV/Nope'],
  ['streaming method (grpc-js path)', [req('ok')], {}, '/etcdserverpb.Watch/Watch'],
];

test('unary calls answer byte for byte as grpc-js does', async () => {
  const plain = await start(false);
  const fast = await start(true);
  assert.equal(fast.fastPath, true, 'the installed grpc-js no longer has the HTTP/2 server layout the fast path hooks into');
  const a = connect(`http://127.0.0.1:${plain.port}`);
  const b = connect(`http://127.0.0.1:${fast.port}`);
  try {
    for (const [name, chunks, extra, path] of CASES) {
      const want = await send(a, chunks, extra, path);
      const got = await send(b, chunks, extra, path);
      assert.deepEqual(got, want, name);
      assert.ok(want.headers[':status'] !== undefined, name);
    }
    // Everything except the three grpc-js cases was served by the fast path.
    assert.equal(fast.routes.served, CASES.length - 3);
    assert.equal(plain.routes.served, 0);
  } finally {
    a.close();
    b.close();
    await plain.close();
    await fast.close();
  }
});

test('a grpc-js client is answered through the fast path; a cancelled call tells the handler', async () => {
  const h = await start(true);
  const Client = grpc.makeGenericClientConstructor(KV, 'KV');
  const client = new Client(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure()) as unknown as {
    Range(
      r: object,
      md: grpc.Metadata,
      o: grpc.CallOptions,
      cb: (e: grpc.ServiceError | null, v?: { count: string }) => void,
    ): grpc.ClientUnaryCall;
    close(): void;
  };
  try {
    const md = new grpc.Metadata();
    md.add('x-test', '1');
    md.add('x-test', '2');
    const r = await new Promise<{ count: string }>((resolve, reject) =>
      client.Range({ key: Buffer.from('ok') }, md, {}, (e, v) => (e ? reject(e) : resolve(v!))),
    );
    // grpc-js joins a key's values into one header; its server does not split them again.
    assert.equal(r.count, '1');
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.Range({ key: Buffer.from('err') }, new grpc.Metadata(), {}, (e) => resolve(e!)),
    );
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.equal(err.details, 'etcdserver: key not found ü');
    assert.deepEqual(err.metadata.get('x-err'), ['e']);
    // Deadline: the handler hears of it.
    const late = await new Promise<grpc.ServiceError>((resolve) =>
      client.Range({ key: Buffer.from('hang') }, new grpc.Metadata(), { deadline: Date.now() + 50 }, (e) => resolve(e!)),
    );
    assert.equal(late.code, grpc.status.DEADLINE_EXCEEDED);
    // The client's own cancel.
    const call = client.Range({ key: Buffer.from('hang') }, new grpc.Metadata(), {}, () => undefined);
    // Cancel once the handler has the call (not after a fixed wait).
    const hung = (): number => h.started.filter((k) => k === 'hang').length;
    for (let i = 0; i < 400 && hung() < 2; i++) await new Promise((r) => setTimeout(r, 5));
    call.cancel();
    for (let i = 0; i < 100 && h.cancelled.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(h.cancelled, ['hang', 'hang']);
    assert.equal(h.routes.served, 4);
  } finally {
    client.close();
    await h.close();
  }
});

/** Serves Range with `range` on the fast path of a grpc-js server, and runs `fn` with an HTTP/2 session to it. */
async function withFastRange(range: (call: unknown, cb: Cb) => void, fn: (s: ClientHttp2Session) => Promise<void>): Promise<void> {
  const routes = new UnaryRoutes({ maxReceive: MAX, maxSend: -1 });
  routes.add(KV, { Range: range });
  const server = new grpc.Server();
  server.addService(KV, { Range: () => undefined });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  assert.equal(routes.attach(newestHttp2Server(server)), true);
  const net = createNetServer((s) => routes.serve(s));
  await new Promise<void>((r) => net.listen(0, '127.0.0.1', r));
  const s = connect(`http://127.0.0.1:${(net.address() as AddressInfo).port}`);
  try {
    await fn(s);
  } finally {
    s.close();
    server.forceShutdown();
    injector.destroy();
    await new Promise<void>((r) => net.close(() => r()));
  }
}

test('UnaryCall exposes what handlers read', async () => {
  let seen: UnaryCall | undefined;
  let peer = '';
  const range = (call: unknown, cb: Cb): void => {
    seen = call as UnaryCall;
    peer = seen.getPeer();
    cb(null, { header: HEADER });
  };
  await withFastRange(range, async (s) => {
    await send(s, [req('ok')], { hasleader: 'true', 'x-a': 'b', 'grpc-timeout': '5S' });
    assert.ok(seen !== undefined);
    assert.equal(seen.header('hasleader'), 'true');
    assert.deepEqual(seen.metadata.getMap(), { hasleader: 'true', 'x-a': 'b' });
    assert.equal(seen.getPath(), '/etcdserverpb.KV/Range');
    assert.ok(seen.getDeadline() > Date.now() && seen.getDeadline() <= Date.now() + 5000);
    assert.match(peer, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(seen.getAuthContext(), {});
  });
});

test('an answer counted by AnswersInFlight leaves the count when its stream closes (no listener per call)', async () => {
  const answers = new AnswersInFlight();
  const counted: number[] = [];
  const range = (call: unknown, cb: Cb): void => {
    answers.answering(call);
    counted.push(answers.inFlight);
    cb(null, { header: HEADER });
  };
  await withFastRange(range, async (s) => {
    await send(s, [req('ok')]);
    await send(s, [req('ok')]);
    assert.equal(counted[0], 1, 'the answer is counted while it is sent');
    for (let i = 0; i < 200 && answers.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(answers.inFlight, 0);
  });
});

test('a closed call stream keeps nothing of its call (request, call object, answer state)', async () => {
  // The streams stay referenced here, as node keeps closed streams for a while: what they
  // still reach survives garbage collection, and must not include the call.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const streams: UnaryCall['stream'][] = [];
  const calls: WeakRef<UnaryCall>[] = [];
  const requests: WeakRef<object>[] = [];
  const closes: Promise<unknown>[] = [];
  const range = (call: unknown, cb: Cb): void => {
    const c = call as UnaryCall;
    streams.push(c.stream);
    closes.push(new Promise((r) => (c.closed = () => r(undefined))));
    calls.push(new WeakRef(c));
    requests.push(new WeakRef(c.request as object));
    if (c.header('x-fail') === 'yes') cb({ code: grpc.status.NOT_FOUND, details: 'no' });
    else cb(null, { header: HEADER });
  };
  await withFastRange(range, async (s) => {
    await send(s, [req('ok')]);
    await send(s, [req('ok')], { 'x-fail': 'yes' });
    assert.equal(streams.length, 2);
    await Promise.all(closes);
    gc();
    assert.deepEqual(
      calls.map((w) => w.deref() === undefined),
      [true, true],
      'a closed stream keeps its call alive',
    );
    assert.deepEqual(
      requests.map((w) => w.deref() === undefined),
      [true, true],
      'a closed stream keeps its request alive',
    );
  });
});
