/**
 * A snapshot point of the Ready loop: every `snapshotCount` applied entries it records one and
 * drops the Raft log below `applied - snapshotCatchupEntries`. The state machine itself is on
 * disk (with the batch written here), so the snapshot is metadata (index, term, conf state).
 */
import type { ConfState } from '../../raft';
import type { BatchWriter } from './batch-writer';
import type { DiskLog } from './disk-log';
import type { RaftLoopOptions } from './raft-loop-deps';
import type { BatchOp } from './storage/level-engine';

export function saveSnapshotPoint(
  o: Pick<RaftLoopOptions, 'storage' | 'log' | 'snapshotCatchupEntries'>,
  disk: DiskLog,
  writer: BatchWriter,
  applied: number,
  confState: ConfState,
): void {
  // The applied effects up to the snapshot point (and the applied index) ride in the SAME
  // batch: a restart replays Raft from the snapshot point and skips what lies below it, so a
  // snapshot point written ahead of its effects would lose the entries in between.
  const ops: BatchOp[] = writer.take();
  const term = o.storage.term(applied);
  o.storage.createSnapshot(applied, confState, new Uint8Array(0));
  disk.snapshotPoint(ops, { index: applied, term, confState });
  const compactTo = applied - o.snapshotCatchupEntries;
  const first = o.storage.firstIndex();
  if (compactTo > first) {
    o.storage.compact(compactTo);
    disk.compact(ops, compactTo);
  }
  o.log.info({ index: applied, term, compactedTo: Math.max(first, compactTo) }, 'saved snapshot and compacted raft log');
  // Not synced: LevelDB applies batches whole and in order, so losing this one (and what came
  // after it) only means a longer replay from the previous snapshot point.
  writer.writeLater(ops, 'writing the snapshot point failed');
}
