/**
 * etcdserverpb.Lease (etcd `v3rpc/lease.go` over `etcdserver/v3_server.go`):
 * - LeaseGrant / LeaseRevoke go through Raft (apply: ./apply.ts). Grant picks an id first when
 *   the client sent 0, so every member applies the same one.
 * - LeaseKeepAlive and LeaseTimeToLive are served by the leader from its primary lessor (a new
 *   leader first waits for its term's first entry to be applied; see role.ts); a follower forwards them to the leader (options.forward, see
 *   forward.ts, or the host's hooks), else answers NoLeader. TimeToLive of an unknown lease is TTL -1, not an error.
 * - LeaseLeases lists the local lessor's leases (not forwarded, as etcd).
 * Renewing a lease with a checkpointed remaining TTL first clears the checkpoint through Raft, so a
 * later leader does not resume from it.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../../../errors';
import type { LeaseId } from '../../../lease';
import { RequestKind } from '../../wire/request-codec';
import { unary } from '../unary';
import type { LeaseApplyResult, LeaseGrantResponse, LeaseRevisionResponse } from '../../engine/lease/apply';
import {
  encodeCheckpoint,
  encodeGrant,
  encodeRevoke,
  int64,
  ttlNumber,
  type CheckpointRequest,
  type GrantRequest,
  type RevokeRequest,
} from '../../wire/lease-codec';
import type { LeaseHost } from '../../engine/lease/host';
import type { LeaderForwarder } from './forward';
import { keepAliveHandler } from './keepalive';
import { LEASE_OVERHEAD } from '../../wire/request-cost';
import { requireUser, type CertCall } from '../auth/credentials';
import { checkLeaseLeases, checkLeaseRenew, checkLeaseTimeToLive } from '../auth/lease-checks';

export interface LeaseServiceOptions {
  /** Source of generated lease ids (default: the member's shared generator, etcd's idutil scheme). */
  ids?: { next(): LeaseId };
  /** Forwards renewals and TimeToLive from a follower to the leader (else: NoLeader). */
  forward?: Pick<LeaderForwarder, 'renew' | 'timeToLive'>;
}

/** Renews on the leader (clearing a checkpoint first if needed) or forwards; see the file comment. */
export async function renewLease(host: LeaseHost, id: LeaseId, forward?: LeaseServiceOptions['forward']): Promise<number> {
  if (!(await host.leasePrimary(2 * host.config.electionMs))) {
    if (forward) return forward.renew(id);
    if (host.forwardRenew) return host.forwardRenew(id);
    throw new EtcdError('NoLeader');
  }
  if (host.lessor.needsCheckpointReset(id)) {
    const req: CheckpointRequest = { checkpoints: [{ id, remainingTtl: 0 }] };
    await host.propose<unknown>(RequestKind.LeaseCheckpoint, encodeCheckpoint(req));
  }
  return host.lessor.renew(id);
}

export function leaseService(host: LeaseHost, log: Logger, opts: LeaseServiceOptions = {}): UntypedServiceImplementation {
  const ids = opts.ids ?? host.leaseIds;
  return {
    LeaseGrant: unary('LeaseGrant', log, async (w, md, call) => {
      const overQuota = host.checkQuota?.(LEASE_OVERHEAD);
      if (overQuota !== undefined) await overQuota;
      let id = int64(w.ID);
      if (id === 0n) id = ids.next();
      const req: GrantRequest = { id, ttl: ttlNumber(w.TTL) };
      const ai = await requireUser(host, md, call, (c) => c, log);
      const r = await host.propose<LeaseApplyResult<LeaseGrantResponse>>(RequestKind.LeaseGrant, encodeGrant(req), ai);
      return { header: host.header(r.response.revision), ID: r.response.id.toString(), TTL: String(r.response.ttl), error: '' };
    }),

    LeaseRevoke: unary('LeaseRevoke', log, async (w, md, call) => {
      const req: RevokeRequest = { id: int64(w.ID) };
      const ai = await requireUser(host, md, call, (c) => c, log);
      const r = await host.propose<LeaseApplyResult<LeaseRevisionResponse>>(RequestKind.LeaseRevoke, encodeRevoke(req), ai);
      return { header: host.header(r.response.revision) };
    }),

    LeaseKeepAlive: keepAliveHandler(
      () => host.header(),
      (id, call) => {
        const check = checkLeaseRenew(host, call.metadata, call as CertCall, log, id);
        return check === undefined ? renewLease(host, id, opts.forward) : check.then(() => renewLease(host, id, opts.forward));
      },
      log,
    ),

    LeaseTimeToLive: unary('LeaseTimeToLive', log, async (w, md, call) => {
      const id = int64(w.ID);
      const withKeys = w.keys === true;
      // etcd: a user must be named; the attached keys' READ permission only matters with `keys`.
      await requireUser(host, md, call, () => undefined, log);
      const rev = host.auth.store.revision;
      if (withKeys) await checkLeaseTimeToLive(host, md, call, log, id);
      let t: { ttl: number; grantedTtl: number; keys: Buffer[] } | undefined;
      if (await host.leasePrimary(2 * host.config.electionMs)) t = host.lessor.timeToLive(id, withKeys);
      else if (opts.forward) t = await opts.forward.timeToLive(id, withKeys);
      else if (host.forwardTimeToLive) t = await host.forwardTimeToLive(id, withKeys);
      else throw new EtcdError('NoLeader');
      if (withKeys && host.auth.enabled && rev !== host.auth.store.revision) throw new EtcdError('AuthOldRevision');
      const header = host.header();
      if (t === undefined) return { header, ID: id.toString(), TTL: '-1', grantedTTL: '0', keys: [] };
      return { header, ID: id.toString(), TTL: String(t.ttl), grantedTTL: String(t.grantedTtl), keys: t.keys };
    }),

    LeaseLeases: unary('LeaseLeases', log, (_w, md, call) => {
      const list = (): object => ({ header: host.header(), leases: host.lessor.leases().map((id) => ({ ID: id.toString() })) });
      const check = checkLeaseLeases(host, md, call, log);
      return check === undefined ? list() : check.then(list);
    }),
  };
}
