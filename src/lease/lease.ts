/** One lease: its TTLs, its expiry on the primary, and the keys attached to it. */
import type { LeaseId } from './types';

export class Lease {
  readonly id: LeaseId;
  /** Granted TTL in seconds (after the minimum was applied). */
  readonly ttl: number;
  /** Checkpointed remaining TTL in seconds; 0 = unset (the full TTL applies). */
  remainingTtl = 0;
  /** Expiry time on the clock, ms; Infinity when this lessor is not the primary. */
  expiry = Infinity;
  /** Attached keys by their latin1 string form. */
  readonly keys = new Map<string, Buffer>();

  constructor(id: LeaseId, ttl: number) {
    this.id = id;
    this.ttl = ttl;
  }

  /** The TTL a refresh starts from: the checkpointed remaining TTL if set, else the full TTL. */
  get effectiveTtl(): number {
    return this.remainingTtl > 0 ? this.remainingTtl : this.ttl;
  }

  /** Sets the expiry to now + effective TTL + extend. */
  refresh(now: number, extendMs: number): void {
    this.expiry = now + extendMs + this.effectiveTtl * 1000;
  }

  remainingMs(now: number): number {
    return this.expiry - now;
  }

  /** Attached keys in byte order. */
  sortedKeys(): Buffer[] {
    return [...this.keys.values()].sort(Buffer.compare);
  }
}
