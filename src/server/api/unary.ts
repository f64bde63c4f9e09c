/**
 * Thin adapters from handler functions to grpc-js: a handler returns a response or a promise of
 * one, or throws; errors are translated once, here, through the error table.
 */
import type { ServerUnaryCall, sendUnaryData, UntypedHandleCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { toServiceError } from '../wire/error-table';
import { isEtcdError } from '../../errors';
import type { CertCall } from './auth/credentials';
import { LazyMetadata, type RequestMetadata } from './request-metadata';

export type UnaryHandler = (req: Record<string, unknown>, metadata: RequestMetadata, call: CertCall) => object | Promise<object>;

export function unary(name: string, log: Logger, fn: UnaryHandler): UntypedHandleCall {
  const fail = (cb: sendUnaryData<object>, err: unknown): void => {
    if (!isEtcdError(err)) log.warn({ method: name, err: (err as Error)?.message, stack: (err as Error)?.stack }, 'request failed');
    else log.debug({ method: name, error: err.kind }, 'request failed');
    cb(toServiceError(err));
  };
  return (call: ServerUnaryCall<Record<string, unknown>, object>, cb: sendUnaryData<object>): void => {
    let out: object | Promise<object>;
    try {
      out = fn(call.request, new LazyMetadata(call), call);
    } catch (err) {
      fail(cb, err);
      return;
    }
    if (out instanceof Promise) {
      out.then(
        (r) => cb(null, r),
        (err: unknown) => fail(cb, err),
      );
    } else {
      cb(null, out);
    }
  };
}
