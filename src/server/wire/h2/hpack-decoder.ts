/**
 * An HPACK decoder (RFC 7541) that accepts and refuses what Go's x/net/http2/hpack Decoder does,
 * the decoder in front of etcd's gRPC server: integers of up to 9 continuation octets, index 0
 * and indexes past the tables refused, a table size update only at the start of a block (or,
 * as Go allows, while the table is empty) and no larger than the size this end allows, Huffman
 * strings checked as huffman.ts says, and a representation cut short at the block's end refused.
 * Any refusal is an HpackError: a connection error (COMPRESSION_ERROR) for the caller.
 */
import { DynamicTable } from './hpack-table';
import { STATIC_TABLE } from './hpack-static';
import { huffmanDecode, HuffmanError } from './huffman';

export class HpackError extends Error {}

const STATIC_LEN = STATIC_TABLE.length;
const EMPTY_BUFFER = Buffer.alloc(0);

export class HpackDecoder {
  private readonly table: DynamicTable;
  /** The largest table size a size update may set (this end's SETTINGS_HEADER_TABLE_SIZE). */
  private allowedMax: number;
  private pos = 0;
  private end = 0;
  private buf: Buffer = EMPTY_BUFFER;
  /** The longest string accepted (Go's SetMaxStringLength; 0: no limit). */
  maxStringLength = 0;

  constructor(maxTableSize = 4096) {
    this.table = new DynamicTable(maxTableSize);
    this.allowedMax = maxTableSize;
  }

  /** A new SETTINGS_HEADER_TABLE_SIZE of this end, once acknowledged. */
  setAllowedMaxTableSize(n: number): void {
    this.allowedMax = n;
  }

  /** Decodes one whole header block, buf[start, end), appending name, value, name, value, ... to `out`. */
  decode(buf: Buffer, start: number, end: number, out: string[]): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    let first = true;
    const table = this.table;
    try {
      while (this.pos < end) {
        const b = buf[this.pos]!;
        if (b >= 128) {
          const i = this.int(7);
          out.push(this.nameAt(i), this.valueAt(i));
        } else if (b >= 64) {
          const [name, value] = this.literal(6);
          table.add(name, value);
          out.push(name, value);
        } else if (b < 32) {
          // 0000xxxx without indexing, 0001xxxx never indexed
          const [name, value] = this.literal(4);
          out.push(name, value);
        } else {
          if (!first && table.size > 0) throw new HpackError('dynamic table size update MUST occur at the beginning of a header block');
          const size = this.int(5);
          if (size > this.allowedMax) throw new HpackError('dynamic table size update too large');
          table.setMaxSize(size);
        }
        first = false;
      }
    } finally {
      this.buf = EMPTY_BUFFER;
    }
  }

  private int(prefixBits: number): number {
    const buf = this.buf;
    if (this.pos >= this.end) throw new HpackError('truncated headers');
    const max = (1 << prefixBits) - 1;
    let v = buf[this.pos++]! & max;
    if (v < max) return v;
    let shift = 0;
    while (this.pos < this.end) {
      const c = buf[this.pos++]!;
      v += (c & 127) * 2 ** shift;
      if (c < 128) return v;
      shift += 7;
      if (shift >= 63) throw new HpackError('varint integer overflow');
    }
    throw new HpackError('truncated headers');
  }

  private nameAt(i: number): string {
    if (i >= 1 && i <= STATIC_LEN) return STATIC_TABLE[i - 1]![0];
    const d = i - STATIC_LEN - 1;
    if (i === 0 || d >= this.table.length) throw new HpackError(`invalid indexed representation index ${i}`);
    return this.table.name(d);
  }

  private valueAt(i: number): string {
    return i <= STATIC_LEN ? STATIC_TABLE[i - 1]![1] : this.table.value(i - STATIC_LEN - 1);
  }

  private literal(prefixBits: number): [string, string] {
    const i = this.int(prefixBits);
    // As Go: a bad name index is refused first, and both strings are read before either is decoded.
    const name = i > 0 ? this.nameAt(i) : undefined;
    let nameHuff = false;
    let nameStart = 0;
    let nameLen = 0;
    if (name === undefined) {
      nameHuff = this.huffBit();
      nameLen = this.stringLength();
      nameStart = this.pos;
      this.pos += nameLen;
    }
    const valueHuff = this.huffBit();
    const valueLen = this.stringLength();
    const valueStart = this.pos;
    this.pos += valueLen;
    return [name ?? this.string(nameHuff, nameStart, nameLen), this.string(valueHuff, valueStart, valueLen)];
  }

  private huffBit(): boolean {
    if (this.pos >= this.end) throw new HpackError('truncated headers');
    return this.buf[this.pos]! >= 128;
  }

  /** A string's length, checked against the limit and what is left of the block. */
  private stringLength(): number {
    const len = this.int(7);
    if (this.maxStringLength !== 0 && len > this.maxStringLength) throw new HpackError('header field string too long');
    if (this.end - this.pos < len) throw new HpackError('truncated headers');
    return len;
  }

  private string(huff: boolean, start: number, len: number): string {
    if (!huff) return this.buf.toString('latin1', start, start + len);
    try {
      return huffmanDecode(this.buf, start, start + len);
    } catch (e) {
      if (e instanceof HuffmanError) throw new HpackError(e.message);
      throw e;
    }
  }
}
