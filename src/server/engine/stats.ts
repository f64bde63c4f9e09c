import { NO_PEER_STATS, type PeerStats } from './peer/peer-stats';

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
  /** The leader sent a heartbeat later than twice the heartbeat interval after the last one. */
  heartbeatSendFailed(): void;
  /** A ReadIndex answer came for a request no longer waited for, or a read timed out. */
  slowReadIndex(): void;
  /** Reads waiting for a ReadIndex answer failed because the leader changed. */
  readIndexFailed(): void;
  /** The peer transport's traffic. */
  peer: PeerStats;
}

export const NO_STATS: EngineStats = {
  walFsync: () => undefined,
  backendCommit: () => undefined,
  slowApply: () => undefined,
  proposalFailed: () => undefined,
  heartbeatSendFailed: () => undefined,
  slowReadIndex: () => undefined,
  readIndexFailed: () => undefined,
  peer: NO_PEER_STATS,
};

/** etcd's default --warning-apply-duration. */
export const SLOW_APPLY_MS = 100;
