/**
 * Building the member's lessor: over the MVCC engine (leases persist in the same batches as the
 * keys), on the process's monotonic clock, with etcd's minimum TTL from the Raft timing; and
 * rebuilding attachments from the store's live keys after a restart or a snapshot install.
 */
import { performance } from 'node:perf_hooks';
import { Lessor, minLeaseTtl, type LessorConfig } from '../../../lease';
import type { Engine, MvccStore } from '../../../mvcc';

export function openLessor(
  config: { readonly heartbeatMs: number; readonly electionMs: number },
  engine: Engine,
  overrides: Partial<LessorConfig> = {},
): Lessor {
  return new Lessor({
    clock: () => performance.now(),
    config: { minTtl: minLeaseTtl(config.heartbeatMs, config.electionMs), ...overrides },
    engine,
  });
}

/** Re-attaches every live key to its lease (keys whose lease is gone are left alone). */
export function attachAllKeys(lessor: Lessor, mvcc: MvccStore): void {
  lessor.restoreAttachments((fn) => mvcc.forEachLiveLease(fn));
}
