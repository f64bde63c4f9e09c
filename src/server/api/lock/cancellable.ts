/**
 * The unary handlers of the Lock and Election services. The work gets an AbortSignal that fires
 * when the client cancels or its deadline passes (Lock and Campaign wait indefinitely).
 *
 * Errors: etcd runs these services as a clientv3 client of its own server, so an etcd error of
 * an inner KV/lease call reaches the caller as a plain error: code Unknown with the etcd message
 * (e.g. "etcdserver: requested lease not found"). The recipes' own errors ("election: no leader")
 * are plain errors already.
 */
import type { ServerUnaryCall, sendUnaryData, UntypedHandleCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isEtcdError } from '../../../errors';
import { toServiceError, wireMessage } from '../../wire/error-table';

export type CancellableHandler = (
  req: Record<string, unknown>,
  signal: AbortSignal,
  call: ServerUnaryCall<Record<string, unknown>, object>,
) => Promise<object>;

/** An inner etcd error as clientv3 would surface it through a Go gRPC server: Unknown + message. */
export function asClientError(err: unknown): unknown {
  return isEtcdError(err) ? new Error(wireMessage(err.kind)) : err;
}

export function cancellable(name: string, log: Logger, fn: CancellableHandler): UntypedHandleCall {
  return (call: ServerUnaryCall<Record<string, unknown>, object>, cb: sendUnaryData<object>): void => {
    const ac = new AbortController();
    call.on('cancelled', () => ac.abort());
    let out: Promise<object>;
    try {
      out = fn(call.request, ac.signal, call);
    } catch (err) {
      out = Promise.reject(err);
    }
    out.then(
      (r) => cb(null, r),
      (err: unknown) => {
        log.debug({ method: name, err: (err as Error)?.message }, 'request failed');
        cb(toServiceError(asClientError(err)));
      },
    );
  };
}
