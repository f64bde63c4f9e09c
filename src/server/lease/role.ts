/**
 * Keeps the lessor's role in step with Raft leadership (etcd: Promote when this member becomes
 * leader, with the election timeout as extension; Demote when it stops). Polled by the expiry
 * driver every tick and by the leader-only handlers before they read expiry, so no hook into the
 * Raft loop is needed. A new term while leading counts as a new leadership.
 *
 * One role per lessor (`roleOf`), shared by the service and the driver, so they never undo each
 * other's promotion.
 */
import type { Lessor } from '../../lease';
import type { LeaseHost } from './host';

export class LessorRole {
  private readonly host: LeaseHost;
  private promotedTerm = -1;

  constructor(host: LeaseHost) {
    this.host = host;
  }

  /** Promotes or demotes the lessor as needed; returns whether this member leads. */
  sync(): boolean {
    const { lessor, loop } = this.host;
    const leading = loop.isLeader;
    if (leading) {
      if (!lessor.isPrimary || this.promotedTerm !== loop.term) {
        if (lessor.isPrimary) lessor.demote();
        lessor.promote(this.host.config.electionMs);
        this.promotedTerm = loop.term;
      }
    } else if (lessor.isPrimary) {
      lessor.demote();
      this.promotedTerm = -1;
    }
    return leading;
  }
}

const roles = new WeakMap<Lessor, LessorRole>();

/** The role of the host's lessor (created on first use). */
export function roleOf(host: LeaseHost): LessorRole {
  let r = roles.get(host.lessor);
  if (r === undefined) {
    r = new LessorRole(host);
    roles.set(host.lessor, r);
  }
  return r;
}
