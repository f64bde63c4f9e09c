/**
 * The Raft log as it lies in LevelDB, and the batch operations that change it: which entry keys
 * exist on disk (`firstIndex`..`lastIndex`), so that an overwritten tail, a compacted prefix or
 * the whole log under an installed snapshot is deleted key by key. The Ready loop decides WHEN
 * these go into a batch; this file knows only WHAT they write. No I/O: it fills op arrays.
 */
import type { ConfState, Entry, HardState } from '../../raft';
import { encodeEntry, encodeHardState, encodeSnapshotMeta } from './storage/entry-codec';
import { APPLIED_INDEX_KEY, HARD_STATE_KEY, SNAPSHOT_KEY, entryKey } from './storage/keys';
import { encodeIndex } from './storage/keys';
import type { BatchOp } from './storage/level-engine';

export class DiskLog {
  /** Index of the last entry in LevelDB. */
  private lastIndex: number;
  /** Lowest Raft index that may still be on disk. */
  private firstIndex: number;

  constructor(lastPersistedIndex: number, diskFirstIndex: number) {
    this.lastIndex = lastPersistedIndex;
    this.firstIndex = diskFirstIndex;
  }

  /** New entries, replacing whatever tail of the log they overwrite. */
  append(ops: BatchOp[], entries: readonly Entry[]): void {
    let lastNew = 0;
    for (const e of entries) {
      ops.push({ type: 'put', key: entryKey(e.index), value: encodeEntry(e) });
      lastNew = e.index;
    }
    if (lastNew === 0) return;
    for (let i = lastNew + 1; i <= this.lastIndex; i++) ops.push({ type: 'del', key: entryKey(i) });
    this.lastIndex = lastNew;
  }

  hardState(ops: BatchOp[], hs: HardState): void {
    ops.push({ type: 'put', key: HARD_STATE_KEY, value: encodeHardState(hs) });
  }

  static applied(ops: BatchOp[], index: number): void {
    ops.push({ type: 'put', key: APPLIED_INDEX_KEY, value: encodeIndex(index) });
  }

  /**
   * A snapshot from the leader replaces the whole log: every entry on disk goes (from the lower of
   * Raft storage's first index and ours), the snapshot point and the applied index are written.
   */
  installSnapshot(
    ops: BatchOp[],
    meta: { index: number; term: number; confState: ConfState },
    appliedIndex: number,
    storageFirst: number,
  ): void {
    for (let i = Math.min(storageFirst, this.firstIndex); i <= this.lastIndex; i++) ops.push({ type: 'del', key: entryKey(i) });
    this.lastIndex = meta.index;
    this.firstIndex = meta.index + 1;
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(meta) });
    DiskLog.applied(ops, appliedIndex);
  }

  /** A local snapshot point (the state machine's effects up to it are in the same batch). */
  snapshotPoint(ops: BatchOp[], meta: { index: number; term: number; confState: ConfState }): void {
    ops.push({ type: 'put', key: SNAPSHOT_KEY, value: encodeSnapshotMeta(meta) });
  }

  /**
   * Drops the entries up to and including `compactTo` (Raft keeps `compactTo` as its dummy entry;
   * on disk it goes too: a restart starts from the snapshot point, not the catch-up margin).
   */
  compact(ops: BatchOp[], compactTo: number, storageFirst: number): void {
    for (let i = Math.min(storageFirst, this.firstIndex); i <= compactTo; i++) ops.push({ type: 'del', key: entryKey(i) });
    this.firstIndex = compactTo + 1;
  }
}
