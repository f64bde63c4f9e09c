/**
 * The KV hash members compare (etcd's kvHasher): over every stored
 * revision record with main revision <= rev, in revision order, hashing the record key and
 * value; a tombstone at exactly the compact revision is skipped (etcd keeps it on disk until
 * the next compaction but leaves it out of the hash), and so is a record below the compact
 * revision that the index no longer holds (a compaction's deletes still in its backlog).
 */
import type { Engine } from './engine';
import { decodeRecord, isTombstoneRecord, parseRevKey, REV_PREFIX, revKeyFloor } from './codec';
import { crc32c, crc32cAscii } from '../encoding/crc32c';

export function computeHash(
  engine: Engine,
  compactRev: number,
  rev: number,
  kept: (key: string, main: number, sub: number) => boolean,
): number {
  let h = crc32cAscii('key', 0);
  for (const [k, v] of engine.scan(REV_PREFIX, revKeyFloor(rev + 1))) {
    const { main, sub } = parseRevKey(k);
    if (isTombstoneRecord(v) && main === compactRev) continue;
    // Records a compaction dropped but has not deleted yet (etcd's kvHasher keeps only what the index keeps).
    if (main < compactRev && !kept(decodeRecord(v).kv.key.toString('latin1'), main, sub)) continue;
    h = crc32cAscii(k, h);
    h = crc32c(v, h);
  }
  return h;
}
