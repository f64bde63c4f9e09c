/**
 * gRPC on the client port's HTTP/2 connections (h2/h2-connection.ts, written here instead of
 * node:http2, whose per-stream objects cost more than the rest of a one-key read). Services are
 * registered with grpc-js as before; the same unary handlers are recorded here by path. A plain
 * unary request (content type `application/grpc*`, no message compression, a registered unary
 * method) is served by unary-call.ts; every other stream (streams, compressed requests, unknown
 * methods, other content types) goes to the 'stream' listener grpc-js put on the HTTP/2 server it
 * made for a connection injector, on a GrpcJsStream that looks like node:http2's stream to it.
 */
import type { Http2Server, IncomingHttpHeaders } from 'node:http2';
import type { Socket } from 'node:net';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { serveUnary, type UnaryLimits, type UnaryRoute } from './unary-call';
import { H2Connection } from './h2/h2-connection';
import type { H2Stream } from './h2/h2-stream';
import { GrpcJsStream } from './h2/grpc-js-stream';
import { headerObject, requestFieldsError } from './h2/request-headers';
import { ErrorCode } from './h2/frames';

type StreamListener = (stream: unknown, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

/** Header values that change from call to call: not worth a place in the HPACK table. */
const NO_INDEX = new Set(['grpc-message']);
/** The stream and connection windows this end grants (node:http2's are 64 KiB each). */
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 16 << 20;

export class UnaryRoutes {
  private readonly routes = new Map<string, UnaryRoute>();
  private grpcJs: { server: Http2Server; listener: StreamListener } | undefined;
  /** Calls served here (tests check that the fast path is taken). */
  served = 0;
  /** Open connections. */
  readonly connections = new Set<H2Connection>();

  constructor(private readonly limits: UnaryLimits) {}

  /** Records the unary methods of a service, with the implementation grpc-js's addService picks. */
  add(def: ServiceDefinition, impl: UntypedServiceImplementation): void {
    for (const [name, md] of Object.entries(def)) {
      if (md.requestStream || md.responseStream) continue;
      let fn = impl[name];
      if (fn === undefined && typeof md.originalName === 'string') fn = impl[md.originalName];
      if (typeof fn !== 'function') continue;
      this.routes.set(md.path, {
        path: md.path,
        func: fn.bind(impl) as unknown as UnaryRoute['func'],
        serialize: md.responseSerialize as UnaryRoute['serialize'],
        deserialize: md.requestDeserialize as UnaryRoute['deserialize'],
      });
    }
  }

  /**
   * Takes grpc-js's 'stream' listener from `server` (the HTTP/2 server grpc-js made for a
   * connection injector) for the streams not served here. False, and nothing changed, when the
   * server is not found or not as expected: the caller then gives connections to grpc-js.
   */
  attach(server: Http2Server | undefined): boolean {
    if (server === undefined) return false;
    const listeners = server.listeners('stream') as StreamListener[];
    if (listeners.length !== 1) return false;
    this.grpcJs = { server, listener: listeners[0]! };
    return true;
  }

  /** Serves a client connection whose HTTP/2 preface is unread (attach() must have succeeded). */
  serve(socket: Socket): H2Connection {
    const conn = new H2Connection(socket, {
      streamWindow: STREAM_WINDOW,
      connectionWindow: CONNECTION_WINDOW,
      noIndex: NO_INDEX,
      // etcd's --grpc-keepalive-interval and --grpc-keepalive-timeout defaults, as grpc-js had them.
      keepaliveMs: 2 * 60 * 60 * 1000,
      keepaliveTimeoutMs: 20 * 1000,
      onStream: (s) => this.onStream(s),
      onClose: () => this.connections.delete(conn),
    });
    this.connections.add(conn);
    return conn;
  }

  private onStream(s: H2Stream): void {
    if (requestFieldsError(s.fields) !== undefined) {
      s.reset(ErrorCode.PROTOCOL_ERROR);
      return;
    }
    const headers = headerObject(s.fields);
    const route = this.routes.get(headers[':path'] as string);
    if (route !== undefined && isPlainGrpc(headers)) {
      this.served++;
      serveUnary(s, headers, route, this.limits);
      return;
    }
    const g = this.grpcJs!;
    g.listener.call(g.server, new GrpcJsStream(s), headers, 0, s.fields);
  }
}

/** A gRPC request (grpc-js's content-type test) whose messages are not compressed. */
function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return false;
  const enc = headers['grpc-encoding'];
  return enc === undefined || enc === 'identity';
}
