/**
 * The permission checks of the lease RPCs that do not go through Raft (etcd `v3_server.go`
 * checkLeaseRenew, checkLeaseTimeToLive, checkLeaseLeases): with auth enabled a user must be
 * named; an admin may do anything; others need WRITE (renew) or READ (TimeToLive, Leases) on
 * every key attached to the lease(s). A renewal during which the auth store changed fails with
 * AuthOldRevision.
 */
import type { RequestMetadata } from '../request-metadata';
import type { Logger } from 'pino';
import { EtcdError } from '../../../errors';
import { lessorLeaseKeys } from '../../../auth';
import type { Lessor } from '../../../lease';
import { withCredential, type AuthHost, type CertCall, type Credential } from './credentials';

export interface LeaseAuthHost extends AuthHost {
  readonly lessor: Lessor;
}

function checked(
  h: LeaseAuthHost,
  md: RequestMetadata,
  call: CertCall | undefined,
  log: Logger,
  f: (ai: Credential) => void,
): void | Promise<void> {
  if (!h.auth.enabled) return undefined;
  return withCredential(
    h,
    md,
    call,
    (ai) => {
      if (ai === undefined) throw new EtcdError('UserEmpty');
      if (h.auth.store.isAdmin(ai)) return;
      f(ai);
    },
    log,
  );
}

function keysOf(h: LeaseAuthHost, id: bigint): readonly Buffer[] {
  return lessorLeaseKeys(h.lessor)(id) ?? [];
}

export function checkLeaseRenew(
  h: LeaseAuthHost,
  md: RequestMetadata,
  call: CertCall | undefined,
  log: Logger,
  id: bigint,
): void | Promise<void> {
  const rev = h.auth.store.revision;
  return checked(h, md, call, log, (ai) => {
    for (const k of keysOf(h, id)) h.auth.store.checkPut(ai, k.toString('latin1'));
    if (rev !== h.auth.store.revision) throw new EtcdError('AuthOldRevision');
  });
}

export function checkLeaseTimeToLive(
  h: LeaseAuthHost,
  md: RequestMetadata,
  call: CertCall | undefined,
  log: Logger,
  id: bigint,
): void | Promise<void> {
  return checked(h, md, call, log, (ai) => {
    for (const k of keysOf(h, id)) h.auth.store.checkRange(ai, k.toString('latin1'), '');
  });
}

export function checkLeaseLeases(h: LeaseAuthHost, md: RequestMetadata, call: CertCall | undefined, log: Logger): void | Promise<void> {
  const rev = h.auth.store.revision;
  return checked(h, md, call, log, (ai) => {
    for (const id of h.lessor.leases()) for (const k of keysOf(h, id)) h.auth.store.checkRange(ai, k.toString('latin1'), '');
    if (rev !== h.auth.store.revision) throw new EtcdError('AuthOldRevision');
  });
}
