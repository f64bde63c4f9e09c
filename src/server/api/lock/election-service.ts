/**
 * v3electionpb.Election (etcd `v3election/election.go`): Campaign blocks until elected; Proclaim
 * and Resign act on a LeaderKey from Campaign; Leader returns the current leader's kv ("election:
 * no leader" when none); Observe streams leader changes.
 */
import type { Logger } from 'pino';
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { toServiceError } from '../../wire/error-table';
import { int64 } from '../../wire/lease-codec';
import { asClientError, cancellable } from './cancellable';
import { campaign, ERR_MISSING_LEADER_KEY, leader, observe, proclaim, resign, type LeaderKey } from './election';
import type { LockHost } from './host';
import { KvOps, type Wire } from './kv-ops';
import { credentialOf } from '../auth/credentials';

const buf = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.alloc(0));

function leaderKeyFromWire(v: unknown): LeaderKey {
  if (v === null || v === undefined) throw new Error(ERR_MISSING_LEADER_KEY);
  const w = v as Wire;
  return { name: buf(w.name), key: buf(w.key), rev: Number(int64(w.rev)), lease: int64(w.lease) };
}

const leaderKeyToWire = (l: LeaderKey): Wire => ({ name: l.name, key: l.key, rev: String(l.rev), lease: l.lease.toString() });

export function electionService(host: LockHost, log: Logger): UntypedServiceImplementation {
  const ops = new KvOps(host);
  return {
    Campaign: cancellable('Campaign', log, async (w, signal, call) => {
      const r = await campaign(await ops.forCaller(call, log), buf(w.name), int64(w.lease), buf(w.value), signal);
      return { header: r.header, leader: leaderKeyToWire(r.leader) };
    }),
    Proclaim: cancellable('Proclaim', log, async (w, _s, call) => ({
      header: await proclaim(await ops.forCaller(call, log), leaderKeyFromWire(w.leader), buf(w.value)),
    })),
    Resign: cancellable('Resign', log, async (w, _s, call) => ({
      header: await resign(await ops.forCaller(call, log), leaderKeyFromWire(w.leader)),
    })),
    Leader: cancellable('Leader', log, async (w, _s, call) => leader(await ops.forCaller(call, log), buf(w.name))),
    Observe: (call: ServerWritableStream<Wire, object>): void => {
      let caller: KvOps;
      try {
        const c = credentialOf(host, call.metadata, call, log);
        // A credential that needs waiting is rare; Observe then runs as no user (refused when auth is on).
        if (c instanceof Promise) {
          c.catch(() => undefined);
          caller = new KvOps(host);
        } else caller = new KvOps(host, c);
      } catch (e) {
        call.emit('error', toServiceError(asClientError(e)));
        return;
      }
      const stop = observe(
        caller,
        buf(call.request.name),
        (r) => call.write(r),
        (e) => call.emit('error', toServiceError(asClientError(e))),
      );
      call.on('cancelled', stop);
      call.on('close', stop);
    },
  };
}
