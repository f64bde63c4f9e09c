/**
 * The one place that knows how grpc-js 1.14 lays out a server call: the handler's call object
 * (ServerUnaryCallImpl, ServerDuplexStreamImpl, ...) keeps the BaseServerInterceptingCall in
 * `call`, which holds the HTTP/2 stream and the message serializer. With grpc-js server
 * interceptors, `call.call` is an interceptor (it has `nextCall`) and is not used.
 * framed-writes.ts and answers-in-flight.ts fall back to plain grpc-js behaviour when this
 * returns undefined (another grpc-js version).
 */
import type { EventEmitter } from 'node:events';

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
