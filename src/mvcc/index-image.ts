/**
 * An index image: the whole key index (every key's retained revisions, oldest first, and its
 * newest put's create revision, version and lease) as one byte string, keys ascending. A member
 * writes one when it stops cleanly and loads it at the next start instead of rebuilding the index
 * from every revision header (server/engine/storage/index-image-store.ts decides when an image
 * still matches the store). Pure: bytes in, bytes out.
 *
 *   image   = magic, varint keyCount, key*
 *   key     = varint len, len bytes of key, varint n, (varint main, varint zigzag(encoded sub))*n,
 *             varint create, varint version, 0x00 | 0x01 and 8 bytes of lease (int64 BE)
 *             (the newest put's; zeros for a deleted key)
 */
import { Reader, varintSize, writeVarint } from '../encoding/varint';
import { KeyIndex } from './key-index';
import { KvIndex } from './kv-index';

const MAGIC = Buffer.from('etcd-ts index image 1\n', 'latin1');

/** An image that cannot be decoded (or does not describe a valid index). */
export class IndexImageError extends Error {}

function zigzag(v: number): number {
  return v < 0 ? -2 * v - 1 : 2 * v;
}

function unzigzag(v: number): number {
  return v % 2 === 1 ? -(v + 1) / 2 : v / 2;
}

/** Bytes the key takes in an image. */
function keySize(k: string, ki: KeyIndex): number {
  const n = ki.revisionCount;
  let size = varintSize(k.length) + k.length + varintSize(n) + 1;
  for (let i = 0; i < n; i++) size += varintSize(ki.mainOf(i)) + varintSize(zigzag(ki.encodedSubOf(i)));
  if (!ki.isLive()) return size + 2;
  size += varintSize(ki.create) + varintSize(ki.version);
  return ki.lease === 0n ? size : size + 8;
}

/** The image of `index`. */
export function encodeIndexImage(index: KvIndex): Buffer {
  let size = MAGIC.length + varintSize(index.size);
  index.forEach((k, ki) => {
    size += keySize(k, ki);
  });
  const buf = Buffer.allocUnsafe(size);
  let pos = MAGIC.copy(buf, 0);
  pos = writeVarint(buf, pos, index.size);
  index.forEach((k, ki) => {
    pos = writeVarint(buf, pos, k.length);
    pos += buf.write(k, pos, 'latin1');
    const n = ki.revisionCount;
    pos = writeVarint(buf, pos, n);
    for (let i = 0; i < n; i++) {
      pos = writeVarint(buf, pos, ki.mainOf(i));
      pos = writeVarint(buf, pos, zigzag(ki.encodedSubOf(i)));
    }
    // A deleted key's metadata means nothing (key-index.ts): written as zeros, so the image of a
    // store is the same whether its index was built live or rebuilt from records.
    const live = ki.isLive();
    pos = writeVarint(buf, pos, live ? ki.create : 0);
    pos = writeVarint(buf, pos, live ? ki.version : 0);
    if (!live || ki.lease === 0n) buf[pos++] = 0;
    else {
      buf[pos++] = 1;
      pos = buf.writeBigInt64BE(ki.lease, pos);
    }
  });
  if (pos !== size) throw new Error(`index image: wrote ${pos} bytes, sized ${size}`);
  return buf;
}

/** The index an image holds (compactable left empty); throws IndexImageError on bad bytes. */
export function decodeIndexImage(buf: Buffer): KvIndex {
  if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new IndexImageError('not an index image');
  try {
    const r = new Reader(buf, MAGIC.length);
    const count = r.varint();
    const keys = new Array<string>(count);
    const kis = new Array<KeyIndex>(count);
    for (let j = 0; j < count; j++) {
      const klen = r.varint();
      if (r.pos + klen > buf.length) throw new IndexImageError('truncated key');
      const k = buf.toString('latin1', r.pos, r.pos + klen);
      r.pos += klen;
      const ki = new KeyIndex(k);
      const n = r.varint();
      if (n === 0) throw new IndexImageError(`key with no revisions at ${j}`);
      let pm = -1;
      let ps = -1;
      for (let i = 0; i < n; i++) {
        const main = r.varint();
        const enc = unzigzag(r.varint());
        const sub = enc < 0 ? -enc - 1 : enc;
        if (main < 1) throw new IndexImageError(`revision ${main} at key ${j}`);
        if (main < pm || (main === pm && sub <= ps)) throw new IndexImageError(`revisions out of order at key ${j}`);
        pm = main;
        ps = sub;
        ki.pushEncoded(main, enc);
      }
      const create = r.varint();
      ki.setCounts(create, r.varint());
      const flag = buf[r.pos++];
      if (flag === 1) {
        if (r.pos + 8 > buf.length) throw new IndexImageError('truncated lease');
        ki.lease = buf.readBigInt64BE(r.pos);
        r.pos += 8;
      } else if (flag !== 0) throw new IndexImageError(`bad lease flag at key ${j}`);
      keys[j] = k;
      kis[j] = ki;
    }
    if (r.pos !== buf.length) throw new IndexImageError(`${buf.length - r.pos} bytes after the last key`);
    return KvIndex.fromSorted(keys, kis);
  } catch (e) {
    if (e instanceof IndexImageError) throw e;
    throw new IndexImageError(`bad index image: ${(e as Error).message}`);
  }
}
