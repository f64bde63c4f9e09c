/**
 * Protobuf varints, the one implementation every codec uses (peer messages, watch responses,
 * conf changes, MVCC records, strict request checks, LevelDB's formats): sizes and writers for
 * JS numbers (terms, indexes, revisions; exact up to 2^53) and bigints (uint64 ids, exact up to
 * 2^64-1), and a bounds-checked reader. Writers fill a preallocated buffer; callers size it
 * first. Pure: no I/O, importable by the cores.
 */

const MAX_U64 = (1n << 64n) - 1n;

/** Encoded size of a non-negative integer number as a varint. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  if (v < 0x40000000000) return 6;
  if (v < 0x2000000000000) return 7;
  if (v < 0x100000000000000) return 8;
  if (v < 0x8000000000000000) return 9;
  return 10;
}

/** Encoded size of a uint64 bigint as a varint. */
export function varintSizeBig(v: bigint): number {
  if (v <= 0x1fffffffffffffn) return varintSize(Number(v));
  if (v < 1n << 56n) return 8;
  return v < 1n << 63n ? 9 : 10;
}

/** Writes a non-negative integer number; returns the new position. */
export function writeVarint(buf: Uint8Array, pos: number, v: number): number {
  if (v < 0 || !Number.isInteger(v)) throw new RangeError(`not a uint64 number: ${v}`);
  if (v < 0x80000000) {
    while (v > 0x7f) {
      buf[pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[pos++] = v;
    return pos;
  }
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

/** Writes a uint64 bigint; returns the new position. */
export function writeVarintBig(buf: Uint8Array, pos: number, v: bigint): number {
  if (v <= 0x1fffffffffffffn && v >= 0n) return writeVarint(buf, pos, Number(v));
  if (v < 0n || v > MAX_U64) throw new RangeError(`not a uint64: ${v}`);
  // Above 2^53 (member, cluster and lease ids): the low 28 bits as four bytes, then the rest
  // (at most 36 bits, exact as a number). Two bigint operations instead of one per byte.
  let lo = Number(v & 0xfffffffn);
  for (let i = 0; i < 4; i++) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  return writeVarint(buf, pos, Number(v >> 28n));
}

/** Size of a length-delimited field body with its length prefix (not the tag). */
export function lenPrefixed(len: number): number {
  return varintSize(len) + len;
}

export class WireError extends Error {}

/**
 * The few 64-bit values read most (member ids in every peer message) by their two parts, so a
 * read of one makes no bigint. Direct-mapped on the low bits of `lo`.
 */
const BIG_CACHE_SIZE = 64;
const cacheLo = new Float64Array(BIG_CACHE_SIZE).fill(-1);
const cacheHi = new Int32Array(BIG_CACHE_SIZE);
const cacheBig: bigint[] = new Array<bigint>(BIG_CACHE_SIZE).fill(0n);

/** lo + hi * 2^49 as a bigint (lo < 2^49, hi < 2^15). */
function bigFromParts(lo: number, hi: number): bigint {
  const slot = lo % BIG_CACHE_SIZE;
  if (cacheLo[slot] === lo && cacheHi[slot] === hi) return cacheBig[slot]!;
  const v = (BigInt(hi) << 49n) | BigInt(lo);
  cacheLo[slot] = lo;
  cacheHi[slot] = hi;
  cacheBig[slot] = v;
  return v;
}

/** Sequential reader over one protobuf message body. */
export class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Reads a varint as a number (exact below 2^53). */
  varint(): number {
    const buf = this.buf;
    if (this.pos < this.end && buf[this.pos]! < 0x80) return buf[this.pos++]!;
    let lo = 0;
    let shift = 0;
    let b: number;
    // Low 28 bits with bitwise ops.
    for (; shift < 28; shift += 7) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      b = buf[this.pos++]!;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) return lo >>> 0;
    }
    let v = lo >>> 0;
    let mul = 0x10000000;
    for (let i = 0; i < 6; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      b = buf[this.pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 0x80;
    }
    throw new WireError('varint too long');
  }

  /** Reads a varint as an exact uint64 bigint. */
  varintBig(): bigint {
    const buf = this.buf;
    // Fast path: fits in 7 bytes (< 2^49), exact as a number.
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = buf[this.pos++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(n);
      mul *= 0x80;
    }
    // 8 to 10 bytes (ids above 2^49): the low 49 bits are in n; the rest, up to 15 bits, in hi.
    let hi = 0;
    for (let shift = 0; shift < 21; shift += 7) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = buf[this.pos++]!;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        if (hi > 0x7fff) throw new WireError('varint exceeds uint64');
        return bigFromParts(n, hi);
      }
    }
    throw new WireError('varint too long');
  }

  /** Reads a length prefix and returns the end of the delimited body (pos is at its start). */
  delimitedEnd(): number {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.end) throw new WireError('truncated length-delimited field');
    return end;
  }

  /** Reads a length prefix and returns [start, end) of the delimited body; advances past it. */
  delimited(): [number, number] {
    const end = this.delimitedEnd();
    const s = this.pos;
    this.pos = end;
    return [s, end];
  }

  /** Zero-copy view (a plain Uint8Array, not a Buffer: cheaper to create) of a length-delimited field. */
  bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const b = this.buf;
    const v = new Uint8Array(b.buffer, b.byteOffset + this.pos, end - this.pos);
    this.pos = end;
    return v;
  }

  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.delimited();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new WireError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new WireError('truncated fixed field');
  }
}
