/**
 * Keeps the lessor's role in step with Raft leadership, as etcd does:
 * - Promote when this member, leading, applies the empty entry of its own term (etcd's
 *   applyEntryNormal: "promote lessor when the local member is leader and finished applying all
 *   entries from the last term"), extending the leases that exist then by the election timeout.
 *   A lease granted later is applied by a primary lessor and gets exactly its TTL.
 * - Demote as soon as leadership is lost (the Raft loop's leader change, and every `sync`).
 *
 * One role per lessor (`roleOf`), shared by the service, the driver and the member's hooks.
 */
import type { Lessor } from '../../../lease';
import type { LeaseHost } from './host';

export class LessorRole {
  private readonly host: LeaseHost;
  private promotedTerm = -1;
  private waiting: ((primary: boolean) => void)[] = [];

  constructor(host: LeaseHost) {
    this.host = host;
  }

  /** The leader applied the empty entry of `term`: promote if it is this member's leadership. */
  termStarted(term: number): void {
    const { lessor, raft: loop } = this.host;
    if (!loop.isLeader || term !== loop.term || this.promotedTerm === term) return;
    if (lessor.isPrimary) lessor.demote();
    lessor.promote(this.host.config.electionMs);
    this.promotedTerm = term;
    this.settle(true);
  }

  /** Demotes the lessor unless it is the primary of the current leadership; returns whether it is. */
  sync(): boolean {
    const { lessor, raft: loop } = this.host;
    if (loop.isLeader && lessor.isPrimary && this.promotedTerm === loop.term) return true;
    if (lessor.isPrimary) lessor.demote();
    this.promotedTerm = -1;
    if (!loop.isLeader) this.settle(false);
    return false;
  }

  /**
   * Whether this member serves as the lease primary. A leader whose term's first entry is not
   * applied yet waits for it (at most `timeoutMs`), as etcd's LeaseRenew waits for the applied
   * index; a follower answers false at once.
   */
  async primary(timeoutMs: number): Promise<boolean> {
    if (this.sync()) return true;
    if (!this.host.raft.isLeader) return false;
    const promoted = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      t.unref?.();
      const done = (p: boolean): void => {
        clearTimeout(t);
        resolve(p);
      };
      this.waiting.push(done);
    });
    return promoted && this.sync();
  }

  private settle(primary: boolean): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f(primary);
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
