/**
 * What the engine reports for etcd's disk and server metrics, as they happen (the API layer's
 * /metrics turns them into prom-client histograms and counters; the engine knows no registry).
 */
export interface EngineStats {
  /** A synced batch (Raft entries and hard state: what etcd's WAL fsyncs) took `seconds`. */
  walFsync(seconds: number): void;
  /** An unsynced batch of applied state (what etcd's backend commits) took `seconds`. */
  backendCommit(seconds: number): void;
  /** Applying one entry took longer than etcd's warning-apply-duration (100 ms). */
  slowApply(): void;
  /** A proposal failed: refused, timed out, or dropped when the member stopped. */
  proposalFailed(): void;
}

export const NO_STATS: EngineStats = {
  walFsync: () => undefined,
  backendCommit: () => undefined,
  slowApply: () => undefined,
  proposalFailed: () => undefined,
};

/** etcd's default --warning-apply-duration. */
export const SLOW_APPLY_MS = 100;
