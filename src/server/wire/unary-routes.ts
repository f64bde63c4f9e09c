/**
 * The unary methods served by unary-call.ts instead of grpc-js's call machinery. Services are
 * registered with grpc-js as before (streams, unimplemented methods, compressed requests and
 * anything unusual stay grpc-js's); the same handlers are recorded here by path, and the HTTP/2
 * server grpc-js made for a connection injector is given a 'stream' listener that takes the
 * plain unary requests and hands every other stream to grpc-js's own listener.
 */
import type { Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { serveUnary, type UnaryLimits, type UnaryRoute } from './unary-call';

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void;

export class UnaryRoutes {
  private readonly routes = new Map<string, UnaryRoute>();
  /** Calls served here (tests check that the fast path is taken). */
  served = 0;

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
   * Takes the plain unary requests of `server` (an HTTP/2 server grpc-js serves, with its one
   * 'stream' listener). False, and nothing changed, when the server is not found or not as expected.
   */
  serveOn(server: Http2Server | undefined): boolean {
    if (server === undefined) return false;
    const listeners = server.listeners('stream') as StreamListener[];
    if (listeners.length !== 1) return false;
    const grpcJs = listeners[0]!;
    server.removeListener('stream', grpcJs);
    server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      const route = this.routes.get(headers[':path'] as string);
      if (route !== undefined && isPlainGrpc(headers)) {
        this.served++;
        serveUnary(stream, headers, route, this.limits);
      } else grpcJs.call(server, stream, headers, ...rest);
    });
    return true;
  }
}

/** A gRPC request (grpc-js's content-type test) whose messages are not compressed. */
function isPlainGrpc(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return false;
  const enc = headers['grpc-encoding'];
  return enc === undefined || enc === 'identity';
}
