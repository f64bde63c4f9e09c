/**
 * The backend quota (etcd `server/storage/quota.go`): whether what a request would add to the
 * store (wire/request-cost.ts) still fits. etcd measures its bbolt file; etcd-ts measures the MVCC data it holds
 * (every kept revision's key and value, leases, alarms: LevelEngine.sizeBytes), which is the
 * same on every member and shrinks when a compaction removes old revisions.
 */
export class Quota {
  /** `limitBytes`: Infinity for no quota (--quota-backend-bytes negative). */
  constructor(
    private readonly limitBytes: number,
    private readonly sizeBytes: () => number,
  ) {}

  /** Whether a request of this cost fits (a request that writes nothing always does). */
  available(cost: number): boolean {
    if (cost === 0) return true;
    return this.sizeBytes() + cost < this.limitBytes;
  }
}
