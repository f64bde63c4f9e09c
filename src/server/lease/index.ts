export { type LeaseHost } from './host';
export { leaseService, renewLease, type LeaseServiceOptions } from './lease-service';
export { LeaseExpiryDriver, type ExpiryDriverOptions } from './expiry-driver';
export {
  applyLeaseEntry,
  applyLeaseGrant,
  applyLeaseRevoke,
  applyLeaseCheckpoint,
  type LeaseState,
  type LeaseApplyResult,
  type LeaseGrantResponse,
  type LeaseRevisionResponse,
} from './apply';
export { openLessor, attachAllKeys } from './setup';
export { LessorRole, roleOf } from './role';
export { LeaseIdGenerator, leaseIdsFor } from './ids';
export * from './codec';
export { LeaderForwarder, type ForwardedTimeToLive } from './forward';
