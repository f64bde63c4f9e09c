/**
 * Snappy decompression (the raw format LevelDB compresses its table blocks with; google/snappy
 * format_description.txt): a varint of the uncompressed length, then literals and back-references.
 * Throws on any malformed input.
 */
import { ByteReader } from './leveldb-format';
export function snappyUncompress(src: Buffer): Buffer {
  const header = new ByteReader(src);
  let length: number;
  try {
    length = header.varint();
  } catch {
    throw new Error('snappy: bad length');
  }
  if (length > 0xffffffff) throw new Error('snappy: bad length');
  let pos = header.pos;
  const out = Buffer.allocUnsafe(length);
  let o = 0;
  while (pos < src.length) {
    const tag = src[pos++]!;
    let len: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        len = tag >>> 2;
        if (len >= 60) {
          const n = len - 59;
          if (pos + n > src.length) throw new Error('snappy: truncated literal length');
          len = src.readUIntLE(pos, n);
          pos += n;
        }
        len += 1;
        if (pos + len > src.length || o + len > length) throw new Error('snappy: literal out of bounds');
        src.copy(out, o, pos, pos + len);
        pos += len;
        o += len;
        continue;
      }
      case 1:
        if (pos >= src.length) throw new Error('snappy: truncated copy');
        len = ((tag >>> 2) & 7) + 4;
        offset = ((tag >>> 5) << 8) | src[pos++]!;
        break;
      case 2:
        if (pos + 2 > src.length) throw new Error('snappy: truncated copy');
        len = (tag >>> 2) + 1;
        offset = src.readUInt16LE(pos);
        pos += 2;
        break;
      default:
        if (pos + 4 > src.length) throw new Error('snappy: truncated copy');
        len = (tag >>> 2) + 1;
        offset = src.readUInt32LE(pos);
        pos += 4;
    }
    if (offset === 0 || offset > o || o + len > length) throw new Error('snappy: copy out of bounds');
    // Byte by byte: a copy may overlap what it produces.
    for (let i = 0; i < len; i++, o++) out[o] = out[o - offset]!;
  }
  if (o !== length) throw new Error('snappy: length mismatch');
  return out;
}
