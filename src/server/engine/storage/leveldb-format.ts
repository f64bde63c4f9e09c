/** Pieces of LevelDB's file formats shared by the log, MANIFEST and table checks. */

/** LevelDB's masked crc32c (a stored checksum is never the plain crc of data that holds crcs). */
export function maskedCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Reads varints and length-prefixed slices from buf[pos, end); throws past the end. */
export class ByteReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.pos >= this.end || shift > 63) throw new Error('bad varint');
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
    }
  }

  skipSlice(): void {
    const n = this.varint();
    if (this.pos + n > this.end) throw new Error('bad slice');
    this.pos += n;
  }
}
