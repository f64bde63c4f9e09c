/**
 * Rebuilding the in-memory index from an engine alone (etcd's store.restore): every revision
 * record in revision order replays into the index, then the current revision is the newest
 * record's (at least the compact revision, at least 1).
 *
 * Only the records' headers are used (key, revisions, lease, tombstone flag), never their
 * values: an engine that keeps values on disk passes its revision headers as `records` (records
 * whose value part is cut off), so rebuilding costs O(revisions), not O(bytes stored).
 */
import { decodeCompactRev, META_COMPACT, parseRevKey, readRecordMeta, REV_END, REV_PREFIX, type RecordMeta } from './codec';
import type { Engine } from './engine';
import { KvIndex } from './kv-index';

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

/**
 * Builds an index from revision records fed one at a time, in revision order (so a caller can
 * feed records as it reads them from disk, while it reads the next ones).
 */
export class IndexLoader {
  readonly index: KvIndex;
  private last: number;
  private readonly m: RecordMeta = { k: '', create: 0, mod: 0, version: 0, lease: 0n, tombstone: false };

  /** Starts empty, or from a whole index whose newest record is at `last` (an index image). */
  constructor(index?: KvIndex, last = 0) {
    this.index = index ?? new KvIndex();
    this.last = last;
  }

  add(main: number, sub: number, rec: Uint8Array): void {
    const m = readRecordMeta(rec, this.m);
    const index = this.index;
    const ki = index.getOrAdd(m.k);
    if (m.tombstone) {
      // A tombstone whose creation was compacted away still ends a (now empty) generation.
      if (ki.isLive()) index.liveKeys--;
      ki.tombstone(main, sub);
    } else {
      if (!ki.isLive()) index.liveKeys++;
      ki.put(main, sub, m.create, m.version, m.lease);
    }
    this.last = main;
  }

  /** The index, its current revision and compact revision (read from the engine). */
  finish(engine: Engine): { index: KvIndex; rev: number; compactRev: number } {
    const c = engine.get(META_COMPACT);
    const compactRev = c === undefined ? -1 : decodeCompactRev(c);
    const index = this.index;
    index.forEach((_k, ki) => {
      if (!ki.isSingleRevision()) index.compactable.add(ki);
    });
    return { index, rev: Math.max(1, this.last, compactRev), compactRev };
  }
}

/** An index rebuilt from `records` (default: every revision record the engine holds). */
export function restoreIndex(
  engine: Engine,
  records: Iterable<RevisionHeader> | IndexLoader = scanned(engine),
): { index: KvIndex; rev: number; compactRev: number } {
  if (records instanceof IndexLoader) return records.finish(engine);
  const loader = new IndexLoader();
  for (const { main, sub, rec } of records) loader.add(main, sub, rec);
  return loader.finish(engine);
}
