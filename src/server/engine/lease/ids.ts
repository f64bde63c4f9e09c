/**
 * Lease ids for grants without a client-chosen id, as etcd's idutil: the member id's low 16 bits,
 * then a 48-bit counter seeded from the boot time; masked to 63 bits (positive), never 0.
 */
import { RequestIdGenerator } from '../../wire/request-codec';

export class LeaseIdGenerator {
  private readonly gen: RequestIdGenerator;

  constructor(memberId: bigint, nowMs: number) {
    this.gen = new RequestIdGenerator(memberId, nowMs);
  }

  next(): bigint {
    for (;;) {
      const id = ((BigInt(this.gen.high) << 48n) | BigInt(this.gen.next())) & 0x7fff_ffff_ffff_ffffn;
      if (id !== 0n) return id;
    }
  }
}

const shared = new Map<bigint, LeaseIdGenerator>();

/**
 * The process-wide generator of a member's lease ids, shared by every service that grants leases
 * (Lease, Lock, Election) so two generators seeded in the same millisecond never hand out the
 * same id.
 */
export function leaseIdsFor(memberId: bigint): LeaseIdGenerator {
  let g = shared.get(memberId);
  if (g === undefined) {
    g = new LeaseIdGenerator(memberId, Date.now());
    shared.set(memberId, g);
  }
  return g;
}
