export * from './types';
export { Lessor, type LessorOptions } from './lessor';
export { Lease } from './lease';
export { LeaseQueue } from './lease-queue';
export { LEASE_PREFIX, LEASE_END, leaseKey, encodeLease, decodeLease, type LeaseRecord } from './codec';
