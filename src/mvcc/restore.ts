/**
 * Rebuilding the in-memory index from an engine alone (etcd's store.restore): every revision
 * record in revision order replays into the index, then the current revision is the newest
 * record's (at least the compact revision, at least 1).
 *
 * Only the records' headers are used (key, revisions, lease, tombstone flag), never their
 * values: an engine that keeps values on disk passes its revision headers as `records` (records
 * whose value part is cut off), so rebuilding costs O(revisions), not O(bytes stored).
 */
import { decodeCompactRev, decodeRecord, META_COMPACT, parseRevKey, REV_END, REV_PREFIX } from './codec';
import type { Engine } from './engine';
import { keyStr, type KvIndex } from './kv-index';

/** One revision record (or its header) with its revision. */
export interface RevisionHeader {
  main: number;
  sub: number;
  rec: Uint8Array;
}

function* scanned(engine: Engine): Iterable<RevisionHeader> {
  for (const [rk, rec] of engine.scan(REV_PREFIX, REV_END)) {
    const { main, sub } = parseRevKey(rk);
    yield { main, sub, rec };
  }
}

export function restoreIndex(
  engine: Engine,
  index: KvIndex,
  records: Iterable<RevisionHeader> = scanned(engine),
): { rev: number; compactRev: number } {
  const c = engine.get(META_COMPACT);
  const compactRev = c === undefined ? -1 : decodeCompactRev(c);
  let last = 0;
  for (const { main, sub, rec } of records) {
    const { kv, tombstone } = decodeRecord(rec);
    const ki = index.getOrCreate(keyStr(kv.key));
    if (tombstone) {
      // A tombstone whose creation was compacted away still ends a (now empty) generation.
      if (ki.isLive()) index.liveKeys--;
      ki.tombstone(main, sub);
    } else {
      if (!ki.isLive()) index.liveKeys++;
      ki.put(main, sub, kv.create_revision, kv.version, kv.lease);
    }
    last = main;
  }
  index.forEach((k, ki) => {
    if (!ki.isSingleRevision()) index.compactable.set(k, ki);
  });
  return { rev: Math.max(1, last, compactRev), compactRev };
}
