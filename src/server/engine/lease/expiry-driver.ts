/**
 * The leader's lease timer (etcd `lessor.runLoop` + the revoke loop of `etcdserver/server.go`):
 * every 500 ms it syncs the lessor's role with Raft leadership and, while leading, proposes a
 * LeaseRevoke for each expired lease (at most revokeRate/s: rate x interval per tick) and one
 * LeaseCheckpoint carrying the due checkpoints. Expiry itself never changes state: only the
 * applied revocation does, on every member alike. Timers live here, never in src/lease.
 */
import type { Logger } from 'pino';
import { isEtcdError } from '../../../errors';
import type { LeaseId } from '../../../lease';
import { RequestKind } from '../../wire/request-codec';
import { encodeCheckpoint, encodeRevoke, type CheckpointRequest, type RevokeRequest } from '../../wire/lease-codec';
import type { LeaseHost } from './host';
import { roleOf } from './role';

export interface ExpiryDriverOptions {
  intervalMs?: number;
  /** Revocations proposed per second at most. Default 1000, as etcd. */
  revokeRate?: number;
  /** Checkpoints per proposal at most. Default 1000, as etcd. */
  checkpointBatch?: number;
}

export class LeaseExpiryDriver {
  private readonly host: LeaseHost;
  private readonly log: Logger;
  private readonly intervalMs: number;
  private readonly perTick: number;
  private readonly checkpointBatch: number;
  private readonly inflight = new Set<LeaseId>();
  private timer: NodeJS.Timeout | undefined;

  constructor(host: LeaseHost, log: Logger, opts: ExpiryDriverOptions = {}) {
    this.host = host;
    this.log = log;
    this.intervalMs = opts.intervalMs ?? 500;
    this.perTick = Math.max(1, Math.floor(((opts.revokeRate ?? 1000) * this.intervalMs) / 1000));
    this.checkpointBatch = opts.checkpointBatch ?? 1000;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Revocations proposed and not yet answered (tests, metrics). */
  get pendingRevokes(): number {
    return this.inflight.size;
  }

  /** One round: role sync, revocations of expired leases, due checkpoints. */
  tick(): void {
    if (!roleOf(this.host).sync()) return;
    const lessor = this.host.lessor;
    for (const id of lessor.expired(this.perTick)) this.revoke(id);
    const cps = lessor.checkpointsDue(this.checkpointBatch);
    if (cps.length > 0) {
      const req: CheckpointRequest = { checkpoints: cps };
      this.host.propose<unknown>(RequestKind.LeaseCheckpoint, encodeCheckpoint(req)).catch((e: unknown) => {
        this.log.warn({ err: (e as Error).message, count: cps.length }, 'failed to checkpoint leases');
      });
    }
  }

  private revoke(id: LeaseId): void {
    if (this.inflight.has(id)) return;
    this.inflight.add(id);
    const req: RevokeRequest = { id };
    this.host
      .propose<unknown>(RequestKind.LeaseRevoke, encodeRevoke(req))
      .then(
        () => this.log.debug({ 'lease-id': id.toString(16) }, 'revoked expired lease'),
        (e: unknown) => {
          if (!isEtcdError(e, 'LeaseNotFound'))
            this.log.warn({ 'lease-id': id.toString(16), err: (e as Error).message }, 'failed to revoke expired lease');
        },
      )
      .finally(() => this.inflight.delete(id));
  }
}
