/**
 * v3lockpb.Lock (etcd `v3lock/lock.go`): Lock blocks until the caller owns `name` (returns the
 * owner key `name/<lease hex>`); Unlock deletes the given key.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { int64 } from '../../wire/lease-codec';
import { cancellable } from './cancellable';
import type { LockHost } from './host';
import { KvOps } from './kv-ops';
import { acquire } from './mutex';

const buf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));

export function lockService(host: LockHost, log: Logger): UntypedServiceImplementation {
  const ops = new KvOps(host);
  return {
    Lock: cancellable('Lock', log, async (w, signal, call) => acquire(await ops.forCaller(call, log), buf(w.name), int64(w.lease), signal)),
    Unlock: cancellable('Unlock', log, async (w, _signal, call) => {
      const r = await (await ops.forCaller(call, log)).deleteKey(buf(w.key));
      return { header: ops.header(r.revision) };
    }),
  };
}
