/**
 * What the Ready loop (raft-loop.ts) is built from: the state machine it applies committed
 * entries to, and its options (the Raft node and storage, the database, timing, and where the
 * on-disk log stood at boot).
 */
import type { Logger } from 'pino';
import type { ConfState, Entry, MemoryStorage, RawNode } from '../../raft';
import type { Db } from './storage/member-db';
import type { BatchOp } from './storage/level-engine';
import type { StoredRun } from './storage/log-runs';
import { RequestKind } from '../wire/request-codec';
import type { EngineStats } from './stats';

/** What the loop applies committed entries to. */
export interface StateMachine {
  /** Applies one committed entry (normal or conf change). Synchronous; never throws for bad input. */
  applyEntry(entry: Entry): void;
  /** Takes the writes made by apply since the last call (MVCC keys, membership...). */
  drainWrites(): BatchOp[];
  /** A batch holding these ops (from drainWrites) is durable in LevelDB. */
  settled(ops: readonly BatchOp[]): void;
  /** Answers the proposers of the entries applied so far (called once they are durable). */
  releaseAcks(): void;
  /**
   * The writes replacing the whole state with a snapshot's (made durable by the loop), and the
   * function swapping the in-memory state once they are.
   */
  prepareInstall(data: Uint8Array): { ops: BatchOp[]; appliedIndex: number; commit(): void };
}

export interface RaftLoopOptions {
  node: RawNode;
  stats: EngineStats;
  storage: MemoryStorage;
  db: Db;
  stateMachine: StateMachine;
  log: Logger;
  /** false with --unsafe-no-fsync */
  fsync: boolean;
  heartbeatMs: number;
  electionMs: number;
  snapshotCount: number;
  snapshotCatchupEntries: number;
  appliedIndex: number;
  confState: ConfState;
  /** The Raft log's keys in LevelDB as boot read them (to delete overwritten tails and compacted runs). */
  logRuns: readonly StoredRun[];
  snapshotIndex: number;
  /** Cluster-unique request ids (the member's generator), for ReadIndex contexts. */
  requestId(): bigint;
}

/**
 * What `applyEntry` throws for an unexpected (non-etcd) error: the entry may be half applied, so
 * the loop stops the member and writes nothing more.
 */
export class ApplyError extends Error {
  constructor(
    readonly index: number,
    readonly kind: RequestKind,
    override readonly cause: unknown,
  ) {
    super(`applying entry ${index} (kind ${RequestKind[kind] ?? kind}) failed: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'ApplyError';
  }
}
