/**
 * LeaseKeepAlive (etcd `v3rpc/lease.go` leaseKeepAlive): a bidi stream carrying renewals of any
 * number of leases. Requests are answered one by one, in order: `{header, ID, TTL}`, the header
 * taken before the renewal, TTL the full granted TTL, or 0 for an unknown or expired lease (not
 * an error: the stream stays open). Any other error (no leader, not primary) ends the stream
 * with that status; clientv3 re-opens it after 500 ms.
 */
import type { ServerDuplexStream, UntypedHandleCall } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { isEtcdError } from '../../../errors';
import { toServiceError } from '../../wire/error-table';
import { int64 } from '../../wire/lease-codec';

type Wire = Record<string, unknown>;

/** Renews one lease and returns its TTL; throws LeaseNotFound for unknown/expired leases. */
export type Renew = (id: bigint, call: ServerDuplexStream<Wire, object>) => number | Promise<number>;

export function keepAliveHandler(header: () => object, renew: Renew, log: Logger): UntypedHandleCall {
  return (call: ServerDuplexStream<Wire, object>): void => {
    let chain: Promise<void> = Promise.resolve();
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      if (err === undefined) {
        call.end();
        return;
      }
      if (!isEtcdError(err)) log.warn({ err: (err as Error)?.message }, 'lease keepalive stream failed');
      call.emit('error', toServiceError(err));
    };
    const one = async (req: Wire): Promise<void> => {
      if (done) return;
      const id = int64(req.ID);
      const hdr = header();
      let ttl: number;
      try {
        ttl = await renew(id, call);
      } catch (e) {
        if (!isEtcdError(e, 'LeaseNotFound')) throw e;
        ttl = 0;
      }
      if (!done) call.write({ header: hdr, ID: id.toString(), TTL: String(ttl) });
    };
    call.on('data', (req: Wire) => {
      chain = chain.then(() => one(req)).catch((e: unknown) => finish(e));
    });
    call.on('end', () => {
      chain = chain.then(() => finish());
    });
    call.on('cancelled', () => {
      done = true;
    });
    call.on('error', () => {
      done = true;
    });
  };
}
