/**
 * Applying the lease entries of the log (etcd `applierV3backend.LeaseGrant/LeaseRevoke/
 * LeaseCheckpoint`): deterministic, on every member, in log order. Each takes the entry payload
 * (the log's bytes, on the proposer as on every other member) and returns the response and the
 * MVCC events of the write (only a revoke writes: the lease's keys are deleted in ONE revision).
 *
 * Errors are typed (LeaseNotFound, LeaseExist, LeaseTTLTooLarge) and leave everything unchanged.
 * The caller passes the events on exactly like a Put's (watchers; `Lessor.onEvents` is
 * idempotent, so feeding it the revoke's DELETE events is harmless).
 */
import type { Lessor, LeaseId } from '../../../lease';
import type { Event, MvccStore } from '../../../mvcc';
import { RequestKind } from '../../wire/request-codec';
import { decodeCheckpoint, decodeGrant, decodeRevoke } from '../../wire/lease-codec';

export interface LeaseState {
  lessor: Lessor;
  mvcc: MvccStore;
}

export interface LeaseApplyResult<R> {
  response: R;
  /** Events of the new revision (revoke with attached keys), else empty. */
  events: Event[];
}

export interface LeaseGrantResponse {
  id: LeaseId;
  /** Effective TTL (the minimum applied). */
  ttl: number;
  /** Store revision at apply time (the response header's revision). */
  revision: number;
}

export interface LeaseRevisionResponse {
  revision: number;
}

export function applyLeaseGrant(s: LeaseState, payload: Buffer): LeaseApplyResult<LeaseGrantResponse> {
  const req = decodeGrant(payload);
  const g = s.lessor.grant(req.id, req.ttl);
  return { response: { id: g.id, ttl: g.ttl, revision: s.mvcc.currentRevision }, events: [] };
}

export function applyLeaseRevoke(s: LeaseState, payload: Buffer): LeaseApplyResult<LeaseRevisionResponse> {
  const req = decodeRevoke(payload);
  const keys = s.lessor.revoke(req.id);
  if (keys.length === 0) return { response: { revision: s.mvcc.currentRevision }, events: [] };
  const r = s.mvcc.deleteKeys(keys);
  return { response: { revision: s.mvcc.currentRevision }, events: r.events };
}

export function applyLeaseCheckpoint(s: LeaseState, payload: Buffer): LeaseApplyResult<LeaseRevisionResponse> {
  const req = decodeCheckpoint(payload);
  for (const c of req.checkpoints) s.lessor.checkpoint(c.id, c.remainingTtl);
  return { response: { revision: s.mvcc.currentRevision }, events: [] };
}

/**
 * The applier's one call for the three lease kinds; undefined for any other kind. The caller
 * passes `events` on as for a Put (watchers and `Lessor.onEvents`).
 */
export function applyLeaseEntry(
  s: LeaseState,
  kind: RequestKind,
  payload: Buffer,
): LeaseApplyResult<LeaseGrantResponse | LeaseRevisionResponse> | undefined {
  switch (kind) {
    case RequestKind.LeaseGrant:
      return applyLeaseGrant(s, payload);
    case RequestKind.LeaseRevoke:
      return applyLeaseRevoke(s, payload);
    case RequestKind.LeaseCheckpoint:
      return applyLeaseCheckpoint(s, payload);
    default:
      return undefined;
  }
}
