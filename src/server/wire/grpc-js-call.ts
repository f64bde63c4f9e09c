/**
 * The one place that knows how grpc-js 1.14 lays out a server call: the handler's call object
 * (ServerUnaryCallImpl, ServerDuplexStreamImpl, ...) keeps the BaseServerInterceptingCall in
 * `call`, which holds the HTTP/2 stream and the message serializer. With grpc-js server
 * interceptors, `call.call` is an interceptor (it has `nextCall`) and is not used.
 * framed-writes.ts and answers-in-flight.ts fall back to plain grpc-js behaviour when this
 * returns undefined (another grpc-js version).
 */
import { EventEmitter } from 'node:events';
import type { Http2Server } from 'node:http2';

export interface BaseServerCall {
  serializeMessage?: (value: unknown) => Buffer;
  stream?: Pick<EventEmitter, 'once'> & { closed?: boolean; destroyed?: boolean };
  nextCall?: unknown;
}

/** The BaseServerInterceptingCall behind a handler's call object, when the layout is 1.14's. */
export function baseServerCall(call: unknown): BaseServerCall | undefined {
  const base = (call as { call?: BaseServerCall } | undefined)?.call;
  return base !== undefined && base !== null && base.nextCall === undefined ? base : undefined;
}

/**
 * The HTTP/2 server grpc-js 1.14 made for its newest connection injector: `createConnectionInjector`
 * adds it last to the server's private `http2Servers` map. Undefined when there is no such map
 * (another grpc-js): the caller then leaves every call to grpc-js.
 */
export function newestHttp2Server(grpc: object): Http2Server | undefined {
  const servers = (grpc as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map)) return undefined;
  let last: unknown;
  for (const s of servers.keys()) last = s;
  return last instanceof EventEmitter && typeof (last as Http2Server).listeners === 'function' ? (last as Http2Server) : undefined;
}
