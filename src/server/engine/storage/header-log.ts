/**
 * The revision headers read at boot, packed into one growing buffer (not one object per
 * revision): [f64 main][u32 sub][u32 record size][u32 crc][u32 header length][header bytes].
 * The store rebuilds its index from them once, then the log is dropped.
 */
import type { RevisionHeader } from '../../../mvcc';

export class HeaderLog {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  count = 0;

  append(main: number, sub: number, size: number, crc: number, header: Uint8Array): void {
    const need = 24 + header.length;
    if (this.used + need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + need));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    const b = this.buf;
    let o = this.used;
    b.writeDoubleLE(main, o);
    b.writeUInt32LE(sub, o + 8);
    b.writeUInt32LE(size, o + 12);
    b.writeUInt32LE(crc, o + 16);
    b.writeUInt32LE(header.length, o + 20);
    o += 24;
    b.set(header, o);
    this.used = o + header.length;
    this.count++;
  }

  /** Every entry in order with the full record's size and crc. The yielded object is reused. */
  *entries(): Iterable<RevisionHeader & { size: number; crc: number }> {
    const b = this.buf;
    const out = { main: 0, sub: 0, size: 0, crc: 0, rec: b.subarray(0, 0) };
    let o = 0;
    while (o < this.used) {
      out.main = b.readDoubleLE(o);
      out.sub = b.readUInt32LE(o + 8);
      out.size = b.readUInt32LE(o + 12);
      out.crc = b.readUInt32LE(o + 16);
      const len = b.readUInt32LE(o + 20);
      o += 24;
      out.rec = b.subarray(o, o + len);
      o += len;
      yield out;
    }
  }
}
