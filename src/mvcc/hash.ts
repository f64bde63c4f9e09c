/**
 * The KV hash members compare (etcd's kvHasher): over every stored
 * revision record with main revision <= rev, in revision order, hashing the record key and
 * value; a tombstone at exactly the compact revision is skipped (etcd keeps it on disk until
 * the next compaction but leaves it out of the hash).
 */
import type { Engine } from './engine';
import { isTombstoneRecord, parseRevKey, REV_PREFIX, revKeyFloor } from './codec';
import { crc32c, crc32cAscii } from '../encoding/crc32c';

export function computeHash(engine: Engine, compactRev: number, rev: number): number {
  let h = crc32cAscii('key', 0);
  for (const [k, v] of engine.scan(REV_PREFIX, revKeyFloor(rev + 1))) {
    if (isTombstoneRecord(v) && parseRevKey(k).main === compactRev) continue;
    h = crc32cAscii(k, h);
    h = crc32c(v, h);
  }
  return h;
}
