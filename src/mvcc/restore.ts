/**
 * Rebuilding the in-memory index from an engine alone (etcd's store.restore): every revision
 * record in revision order replays into the index, then the current revision is the newest
 * record's (at least the compact revision, at least 1).
 */
import { decodeCompactRev, decodeRecord, META_COMPACT, parseRevKey, REV_END, REV_PREFIX } from './codec';
import type { Engine } from './engine';
import { keyStr, type KvIndex } from './kv-index';

export function restoreIndex(engine: Engine, index: KvIndex): { rev: number; compactRev: number } {
  const c = engine.get(META_COMPACT);
  const compactRev = c === undefined ? -1 : decodeCompactRev(c);
  let last = 0;
  for (const [rk, rec] of engine.scan(REV_PREFIX, REV_END)) {
    const { main, sub } = parseRevKey(rk);
    const { kv, tombstone } = decodeRecord(rec);
    const k = keyStr(kv.key);
    const ki = index.getOrCreate(k, kv.key);
    if (tombstone) {
      // A tombstone whose creation was compacted away still ends a (now empty) generation.
      if (ki.isLive()) index.liveKeys--;
      ki.tombstone(main, sub);
    } else {
      if (!ki.isLive()) index.liveKeys++;
      ki.put(main, sub, kv);
    }
    last = main;
  }
  index.forEach((k, ki) => {
    if (!ki.isSingleRevision()) index.compactable.set(k, ki);
  });
  return { rev: Math.max(1, last, compactRev), compactRev };
}
