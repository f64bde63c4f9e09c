/**
 * An HPACK encoder (RFC 7541) for the header blocks this end sends. Fields equal to a static or
 * dynamic table entry are sent as an index; others as literals (octets as they are, no Huffman
 * coding), added to the dynamic table unless their name is in `noIndex` (values that change from
 * call to call, such as grpc-message, would only push useful entries out). When the table size
 * changes (the peer's SETTINGS_HEADER_TABLE_SIZE), the next block starts with a size update.
 */
import { DynamicTable } from './hpack-table';
import { STATIC_FIELD, STATIC_NAME, STATIC_TABLE } from './hpack-static';

const STATIC_LEN = STATIC_TABLE.length;

export class HpackEncoder {
  private readonly table: DynamicTable;
  /** A size update owed at the start of the next block (-1: none). */
  private pendingSize = -1;
  private out = Buffer.allocUnsafe(256);
  private len = 0;

  /**
   * @param limit the largest table this encoder uses, whatever the peer allows
   * @param noIndex names whose fields are never added to the table
   */
  constructor(
    private readonly limit = 4096,
    private readonly noIndex: ReadonlySet<string> = new Set(),
  ) {
    this.table = new DynamicTable(Math.min(limit, 4096));
    // The peer's decoder starts at 4,096: a smaller table is announced in the first block.
    if (limit < 4096) this.pendingSize = limit;
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE. */
  setPeerMaxTableSize(n: number): void {
    const size = Math.min(n, this.limit);
    if (size === this.table.maxSize) return;
    this.table.setMaxSize(size);
    this.pendingSize = size;
  }

  /** One header block for name, value, name, value, ... (latin1 strings). */
  encode(fields: readonly string[]): Buffer {
    this.len = 0;
    if (this.pendingSize >= 0) {
      this.int(0x20, 5, this.pendingSize);
      this.pendingSize = -1;
    }
    for (let k = 0; k + 1 < fields.length; k += 2) this.field(fields[k]!, fields[k + 1]!);
    return Buffer.from(this.out.subarray(0, this.len));
  }

  private field(name: string, value: string): void {
    const s = STATIC_FIELD.get(`${name}\0${value}`);
    if (s !== undefined) {
      this.int(0x80, 7, s);
      return;
    }
    const d = this.table.find(name, value);
    if (d.exact >= 0) {
      this.int(0x80, 7, STATIC_LEN + 1 + d.exact);
      return;
    }
    const nameIndex = STATIC_NAME.get(name) ?? (d.nameAt >= 0 ? STATIC_LEN + 1 + d.nameAt : 0);
    const index = !this.noIndex.has(name) && name.length + value.length + 32 <= this.table.maxSize;
    if (index) this.int(0x40, 6, nameIndex);
    else this.int(0x00, 4, nameIndex);
    if (nameIndex === 0) this.string(name);
    this.string(value);
    if (index) this.table.add(name, value);
  }

  private int(first: number, prefixBits: number, v: number): void {
    this.room(16);
    const max = (1 << prefixBits) - 1;
    if (v < max) {
      this.out[this.len++] = first | v;
      return;
    }
    this.out[this.len++] = first | max;
    v -= max;
    while (v >= 128) {
      this.out[this.len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.out[this.len++] = v;
  }

  private string(s: string): void {
    this.int(0, 7, s.length);
    this.room(s.length);
    this.len += this.out.write(s, this.len, 'latin1');
  }

  private room(n: number): void {
    if (this.len + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.len + n));
    this.out.copy(bigger, 0, 0, this.len);
    this.out = bigger;
  }
}
