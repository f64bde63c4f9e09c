/**
 * Types of the lease core (etcd `server/lease`). The core is pure: time comes from an injected
 * monotonic clock in milliseconds, lease ids are chosen by the caller, and persistence goes
 * through the same synchronous {@link Engine} the MVCC store uses.
 *
 * Units: TTLs are whole seconds (JS numbers; the largest, MAX_LEASE_TTL = 9e9, is exact in a
 * double); times and durations are milliseconds of the injected clock. Lease ids are 64-bit
 * signed integers and always `bigint`.
 */

/** A lease id: int64, never 0 (0 means "no lease"). */
export type LeaseId = bigint;

export const NO_LEASE: LeaseId = 0n;

/** etcd's `MaxLeaseTTL`: a longer requested TTL fails with LeaseTTLTooLarge. */
export const MAX_LEASE_TTL = 9_000_000_000;

/** Monotonic milliseconds (the server passes its monotonic clock; tests a fake one). */
export type Clock = () => number;

export interface LessorConfig {
  /**
   * Minimum TTL in seconds, silently applied to grants (and to restored leases). The server
   * computes it as ceil(1.5 x election timeout), see {@link minLeaseTtl}.
   */
  minTtl: number;
  /**
   * Whether the primary schedules checkpoints of remaining TTLs (through the log). On by default
   * here (etcd: off unless the LeaseCheckpoint feature gate is set).
   */
  checkpointing?: boolean;
  /** How often a lease's remaining TTL is checkpointed, ms. Default 5 minutes, as etcd. */
  checkpointIntervalMs?: number;
  /**
   * After `expired()` has reported a lease, it is reported again only after this long (its
   * revocation is in flight meanwhile), ms. Default 3 s, as etcd.
   */
  expiredRetryMs?: number;
  /** Revocations per second the primary aims for when spreading a promote's expiries. Default 1000. */
  revokeRate?: number;
}

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 5 * 60 * 1000;
export const DEFAULT_EXPIRED_RETRY_MS = 3000;
export const DEFAULT_REVOKE_RATE = 1000;

/**
 * etcd's minimum lease TTL: ceil(((3 * electionTicks) / 2) * heartbeat) seconds, with integer
 * division of the ticks (server/etcdserver/server.go). Defaults (100 ms, 1000 ms) give 2 s.
 */
export function minLeaseTtl(heartbeatMs: number, electionMs: number): number {
  const electionTicks = Math.max(1, Math.floor(electionMs / heartbeatMs));
  return Math.ceil((Math.floor((3 * electionTicks) / 2) * heartbeatMs) / 1000);
}

/** One remaining-TTL checkpoint, as proposed by the primary and applied from the log. */
export interface Checkpoint {
  id: LeaseId;
  /** Remaining TTL in seconds; 0 clears the checkpoint (the full TTL applies again). */
  remainingTtl: number;
}

/** What LeaseTimeToLive reports for one lease. */
export interface TimeToLive {
  id: LeaseId;
  /** Remaining seconds, truncated (as etcd's `int64(Remaining().Seconds())`). */
  ttl: number;
  grantedTtl: number;
  /** Attached keys in byte order, when asked for. */
  keys: Buffer[];
}

/** Renew was called on a lessor that is not the primary (etcd `ErrNotPrimary`). */
export class LessorNotPrimaryError extends Error {
  constructor() {
    super('not a primary lessor');
    this.name = 'LessorNotPrimaryError';
  }
}
