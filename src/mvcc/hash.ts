/**
 * crc32c (Castagnoli) and the KV hash members compare (etcd's kvHasher): over every stored
 * revision record with main revision <= rev, in revision order, hashing the record key and
 * value; a tombstone at exactly the compact revision is skipped (etcd keeps it on disk until
 * the next compaction but leaves it out of the hash).
 */
import type { Engine } from './engine';
import { isTombstoneRecord, parseRevKey, REV_PREFIX, revKeyFloor } from './codec';

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** Incremental crc32c. `crc` is the running value as returned by a previous call (start: 0). */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function crc32cAscii(s: string, crc: number): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < s.length; i++) c = TABLE[(c ^ s.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function computeHash(engine: Engine, compactRev: number, rev: number): number {
  let h = crc32cAscii('key', 0);
  for (const [k, v] of engine.scan(REV_PREFIX, revKeyFloor(rev + 1))) {
    if (isTombstoneRecord(v) && parseRevKey(k).main === compactRev) continue;
    h = crc32cAscii(k, h);
    h = crc32c(v, h);
  }
  return h;
}
