/**
 * The lessor (etcd `server/lease/lessor.go`), as a pure state machine.
 *
 * Two kinds of callers, never to be confused:
 * - Apply (deterministic, every member, in log order): `grant`, `revoke`, `checkpoint`,
 *   `onEvents` (attachments follow the MVCC events of every write). These change the persisted
 *   state (through the engine, in the apply's batch) and must not depend on being primary,
 *   except for the expiry bookkeeping, which is local.
 * - The primary (the leader's local view, never replicated): `promote`/`demote`, `renew`,
 *   `expired`, `checkpointsDue`, `timeToLive`. Expiry exists only on the primary; a follower
 *   keeps every lease "forever" until the log revokes it (expiry alone changes nothing). Expired leases and
 *   checkpoints are only reported; the server proposes their revocation / checkpoint through Raft.
 *
 * No timers, no wall clock: `clock()` is injected (monotonic ms) and lease ids are chosen by the
 * caller (the server generates them before proposing a grant).
 */
import { EtcdError } from '../errors';
import type { Engine } from '../mvcc/engine';
import type { Event } from '../mvcc/types';
import { decodeLease, encodeLease, LEASE_END, LEASE_PREFIX, leaseKey } from './codec';
import { Lease } from './lease';
import { LeaseQueue } from './lease-queue';
import {
  DEFAULT_CHECKPOINT_INTERVAL_MS,
  DEFAULT_EXPIRED_RETRY_MS,
  DEFAULT_REVOKE_RATE,
  LessorNotPrimaryError,
  MAX_LEASE_TTL,
  NO_LEASE,
  type Checkpoint,
  type Clock,
  type LeaseId,
  type LessorConfig,
  type TimeToLive,
} from './types';

export interface LessorOptions {
  clock: Clock;
  config: LessorConfig;
  /** Where leases persist (the MVCC store's engine). Without one, leases live in memory only. */
  engine?: Engine;
}

export class Lessor {
  private readonly clock: Clock;
  private readonly engine: Engine | undefined;
  private readonly minTtl: number;
  private readonly checkpointing: boolean;
  private readonly checkpointIntervalMs: number;
  private readonly expiredRetryMs: number;
  private readonly revokeRate: number;
  private readonly map = new Map<LeaseId, Lease>();
  private readonly expiryQueue = new LeaseQueue();
  private readonly checkpointQueue = new LeaseQueue();
  private primary = false;

  constructor(opts: LessorOptions) {
    const c = opts.config;
    this.clock = opts.clock;
    this.engine = opts.engine;
    this.minTtl = c.minTtl;
    this.checkpointing = c.checkpointing ?? true;
    this.checkpointIntervalMs = c.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.expiredRetryMs = Math.max(1, c.expiredRetryMs ?? DEFAULT_EXPIRED_RETRY_MS);
    this.revokeRate = c.revokeRate ?? DEFAULT_REVOKE_RATE;
    this.loadFromEngine();
  }

  // ---- queries ---------------------------------------------------------------------------

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.map.size;
  }

  /** Whether the lease exists (the MVCC store's `leaseExists` hook). */
  has(id: LeaseId): boolean {
    return this.map.has(id);
  }

  /** Granted TTL of a lease, or undefined. */
  ttlOf(id: LeaseId): number | undefined {
    return this.map.get(id)?.ttl;
  }

  /** Keys attached to a lease, in byte order. Throws LeaseNotFound. */
  keysOf(id: LeaseId): Buffer[] {
    return this.mustGet(id).sortedKeys();
  }

  /**
   * LeaseTimeToLive's view, or undefined for an unknown lease. On the primary, `ttl` is the
   * truncated remaining time; elsewhere (no expiry tracked) it is the checkpointed remaining TTL
   * or the full TTL.
   */
  timeToLive(id: LeaseId, withKeys: boolean): TimeToLive | undefined {
    const l = this.map.get(id);
    if (l === undefined) return undefined;
    const ttl = this.primary ? Math.trunc(l.remainingMs(this.clock()) / 1000) : l.effectiveTtl;
    return { id, ttl, grantedTtl: l.ttl, keys: withKeys ? l.sortedKeys() : [] };
  }

  /** All lease ids, soonest expiry first (ties, e.g. on a follower, by id). */
  leases(): LeaseId[] {
    return [...this.map.values()]
      .sort((a, b) => (a.expiry !== b.expiry ? (a.expiry < b.expiry ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((l) => l.id);
  }

  // ---- apply (deterministic, from the log) ---------------------------------------------

  /**
   * Grants a lease. TTL below the minimum is raised silently; above MAX_LEASE_TTL fails
   * (LeaseTTLTooLarge); an existing id fails (LeaseExist); id 0 fails (LeaseNotFound, as etcd).
   * Returns the effective TTL.
   */
  grant(id: LeaseId, ttl: number): { id: LeaseId; ttl: number } {
    if (id === NO_LEASE) throw new EtcdError('LeaseNotFound', 'lease id 0');
    if (ttl > MAX_LEASE_TTL) throw new EtcdError('LeaseTTLTooLarge');
    if (this.map.has(id)) throw new EtcdError('LeaseExist');
    const l = new Lease(id, Math.max(ttl, this.minTtl));
    this.map.set(id, l);
    this.persist(l);
    if (this.primary) {
      const now = this.clock();
      l.refresh(now, 0);
      this.expiryQueue.set(id, l.expiry);
      this.scheduleCheckpoint(l, now);
    }
    return { id, ttl: l.ttl };
  }

  /**
   * Removes a lease and returns its attached keys in byte order; the caller deletes them in one
   * MVCC revision (`MvccStore.deleteKeys`). Throws LeaseNotFound.
   */
  revoke(id: LeaseId): Buffer[] {
    const l = this.mustGet(id);
    const keys = l.sortedKeys();
    this.map.delete(id);
    this.expiryQueue.delete(id);
    this.checkpointQueue.delete(id);
    this.engine?.del(leaseKey(id));
    return keys;
  }

  /** Applies a checkpointed remaining TTL (0 clears it). Unknown leases are ignored, as etcd. */
  checkpoint(id: LeaseId, remainingTtl: number): void {
    const l = this.map.get(id);
    if (l === undefined) return;
    l.remainingTtl = Math.max(0, remainingTtl);
    this.persist(l);
    if (this.primary) this.scheduleCheckpoint(l, this.clock());
  }

  /**
   * Follows the attachments of one write: each event's key leaves `prev_lease` and, for a PUT,
   * joins `kv.lease`. Idempotent; leases that no longer exist are skipped.
   */
  onEvents(events: readonly Event[]): void {
    for (const ev of events) {
      const prev = ev.prev_lease ?? NO_LEASE;
      const next = ev.type === 'PUT' ? ev.kv.lease : NO_LEASE;
      if (prev === NO_LEASE && next === NO_LEASE) continue; // most writes: no key string to make
      const k = ev.kv.key.toString('latin1');
      if (prev !== NO_LEASE && prev !== next) this.map.get(prev)?.keys.delete(k);
      // A copy of the key: the event's is a view into the stored record (value included), which
      // the lease would otherwise keep in memory for as long as the key is attached.
      if (next !== NO_LEASE) this.map.get(next)?.keys.set(k, Buffer.from(ev.kv.key));
    }
  }

  /** Rebuilds attachments from live keys (after a restart or a restore): each kv joins kv.lease. */
  restoreAttachments(forEachKey: (fn: (key: string, lease: bigint) => void) => void): void {
    for (const l of this.map.values()) l.keys.clear();
    forEachKey((key, lease) => {
      if (lease !== NO_LEASE) this.map.get(lease)?.keys.set(key, Buffer.from(key, 'latin1'));
    });
  }

  /**
   * Reloads every lease from the engine (after the engine's contents were replaced, e.g. by a
   * snapshot). Attachments must then be restored with {@link restoreAttachments}.
   */
  reload(): void {
    this.map.clear();
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    this.loadFromEngine();
    if (this.primary) this.promote(0);
  }

  // ---- primary only ----------------------------------------------------------------------

  /**
   * Becomes the primary: every lease expires `extendMs` after its checkpointed remaining TTL (or
   * its full TTL) from now. When there are more leases than the revoke rate, expiries bunched
   * within a second are spread so at most 3/4 of the rate expire per second (etcd's Promote).
   */
  promote(extendMs: number): void {
    this.primary = true;
    const now = this.clock();
    for (const l of this.map.values()) {
      l.refresh(now, extendMs);
      this.expiryQueue.set(l.id, l.expiry);
      this.scheduleCheckpoint(l, now);
    }
    if (this.map.size < this.revokeRate) return;
    const sorted = [...this.map.values()].sort((a, b) => a.expiry - b.expiry || (a.id < b.id ? -1 : 1));
    let baseWindow = sorted[0]!.remainingMs(now);
    let nextWindow = baseWindow + 1000;
    let expires = 0;
    const target = Math.floor((3 * this.revokeRate) / 4);
    for (const l of sorted) {
      const remaining = l.remainingMs(now);
      if (remaining > nextWindow) {
        baseWindow = remaining;
        nextWindow = baseWindow + 1000;
        expires = 1;
        continue;
      }
      expires++;
      if (expires <= target) continue;
      const delay = 1000 * (expires / target) - (remaining - baseWindow);
      nextWindow = baseWindow + delay;
      l.refresh(now, delay + extendMs);
      this.expiryQueue.set(l.id, l.expiry);
    }
  }

  /** Stops being the primary: no expiry, no checkpoints, until the next promote. */
  demote(): void {
    this.primary = false;
    for (const l of this.map.values()) l.expiry = Infinity;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
  }

  /**
   * Whether renewing must first clear a checkpointed remaining TTL through the log (so a later
   * leader does not resume from the stale checkpoint): propose `{id, remainingTtl: 0}` first.
   */
  needsCheckpointReset(id: LeaseId): boolean {
    const l = this.map.get(id);
    return this.primary && this.checkpointing && l !== undefined && l.remainingTtl > 0;
  }

  /**
   * Renews a lease to its full TTL from now and returns that TTL. Only on the primary
   * (LessorNotPrimaryError). An unknown lease, or one already expired (its revocation is on its
   * way), fails with LeaseNotFound.
   */
  renew(id: LeaseId): number {
    if (!this.primary) throw new LessorNotPrimaryError();
    const l = this.mustGet(id);
    const now = this.clock();
    if (l.remainingMs(now) <= 0) throw new EtcdError('LeaseNotFound', 'lease expired');
    l.expiry = now + l.ttl * 1000;
    this.expiryQueue.set(id, l.expiry);
    return l.ttl;
  }

  /**
   * Expired leases to revoke, at most `limit`, soonest first; only on the primary. A reported
   * lease is reported again only after `expiredRetryMs` if it still exists then.
   */
  expired(limit = Math.floor(this.revokeRate / 2)): LeaseId[] {
    const out: LeaseId[] = [];
    if (!this.primary) return out;
    const now = this.clock();
    while (out.length < limit) {
      const top = this.expiryQueue.peek();
      if (top === undefined || top.time > now) break;
      const l = this.map.get(top.id);
      if (l === undefined) {
        this.expiryQueue.delete(top.id);
        continue;
      }
      this.expiryQueue.set(top.id, now + this.expiredRetryMs);
      if (l.remainingMs(now) <= 0) out.push(l.id);
    }
    return out;
  }

  /**
   * Checkpoints due for proposal, at most `limit`; only on the primary with checkpointing on. A
   * lease is checkpointed when its scheduled time has come and its remaining TTL (rounded up) is
   * below its TTL. Applying a checkpoint schedules the next one.
   */
  checkpointsDue(limit = 1000): Checkpoint[] {
    const out: Checkpoint[] = [];
    if (!this.primary || !this.checkpointing) return out;
    const now = this.clock();
    while (out.length < limit) {
      const top = this.checkpointQueue.peek();
      if (top === undefined || top.time > now) break;
      this.checkpointQueue.pop();
      const l = this.map.get(top.id);
      if (l === undefined || now >= l.expiry) continue;
      const remainingTtl = Math.ceil((l.expiry - now) / 1000);
      if (remainingTtl >= l.ttl) continue;
      out.push({ id: l.id, remainingTtl });
    }
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  private mustGet(id: LeaseId): Lease {
    const l = this.map.get(id);
    if (l === undefined) throw new EtcdError('LeaseNotFound');
    return l;
  }

  private scheduleCheckpoint(l: Lease, now: number): void {
    if (!this.checkpointing) return;
    if (l.effectiveTtl * 1000 > this.checkpointIntervalMs) this.checkpointQueue.set(l.id, now + this.checkpointIntervalMs);
  }

  private persist(l: Lease): void {
    this.engine?.put(leaseKey(l.id), encodeLease({ id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl }));
  }

  private loadFromEngine(): void {
    if (this.engine === undefined) return;
    for (const [k, v] of this.engine.scan(LEASE_PREFIX, LEASE_END)) {
      const r = decodeLease(k, v);
      const l = new Lease(r.id, Math.max(r.ttl, this.minTtl));
      l.remainingTtl = r.remainingTtl;
      this.map.set(r.id, l);
    }
  }
}
