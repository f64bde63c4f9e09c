/**
 * Snappy decompression (the raw format LevelDB compresses its table blocks with; google/snappy
 * format_description.txt): a varint of the uncompressed length, then literals and back-references.
 * Throws on any malformed input.
 */
export function snappyUncompress(src: Buffer): Buffer {
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= src.length || shift > 28) throw new Error('snappy: bad length');
    const b = src[pos++]!;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
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
