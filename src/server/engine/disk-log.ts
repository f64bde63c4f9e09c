/**
 * The Raft log as it lies in LevelDB, and the batch operations that change it: which runs of
 * entries exist on disk (storage/log-runs.ts), so that an overwritten tail, a compacted prefix or
 * the whole log under an installed snapshot is deleted run by run. The Ready loop decides WHEN
 * these go into a batch; this file knows only WHAT they write. No I/O: it fills op arrays.
 */
import type { ConfState, Entry, HardState } from '../../raft';
import { encodeHardState, encodeRun, encodeSnapshotMeta } from './storage/entry-codec';
import { APPLIED_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, encodeIndex, runKey } from './storage/keys';
import { RunTracker, type StoredRun } from './storage/log-runs';
import type { BatchOp } from './storage/level-engine';

export class DiskLog {
  private readonly runs: RunTracker;

  /** Starts from the log's keys on disk as boot read them (member-db.ts). */
  constructor(runs: readonly StoredRun[]) {
    this.runs = new RunTracker(runs);
  }

  /**
   * New entries, as one run, replacing whatever tail of the log they overwrite: the runs that
   * start at or above its first index are deleted; one that starts below and reaches it keeps
   * its key (boot reads the later run over it, log-runs.ts).
   */
  append(ops: BatchOp[], entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    const key = runKey(first);
    for (const gone of this.runs.replaceFrom(first, key)) ops.push({ type: 'del', key: gone });
    ops.push({ type: 'put', key, value: encodeRun(entries) });
    this.runs.added({ key, first, last: entries[entries.length - 1]!.index });
  }

  hardState(ops: BatchOp[], hs: HardState): void {
    ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(hs) });
  }

  static applied(ops: BatchOp[], index: number): void {
    ops.push({ type: 'put', key: APPLIED_INDEX_KEY, value: encodeIndex(index) });
  }

  /**
   * A snapshot from the leader replaces the whole log: every run on disk goes, the snapshot
   * point and the applied index are written.
   */
  installSnapshot(ops: BatchOp[], meta: { index: number; term: number; confState: ConfState }, appliedIndex: number): void {
    for (const key of this.runs.dropAll()) ops.push({ type: 'del', key });
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(meta) });
    DiskLog.applied(ops, appliedIndex);
  }

  /** A local snapshot point (the state machine's effects up to it are in the same batch). */
  snapshotPoint(ops: BatchOp[], meta: { index: number; term: number; confState: ConfState }): void {
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(meta) });
  }

  /**
   * Drops the runs whose entries are all at or below `compactTo` (Raft keeps `compactTo` as its
   * dummy entry; on disk it goes too: a restart starts from the snapshot point, not the catch-up
   * margin). A run reaching past it stays; boot skips its entries below the snapshot.
   */
  compact(ops: BatchOp[], compactTo: number): void {
    for (const key of this.runs.dropThrough(compactTo)) ops.push({ type: 'del', key });
  }
}
