/**
 * bbolt's page layout (bbolt v1.4 internal/common/page.go), all integers little-endian:
 *
 *   page header (16 bytes): id u64 | flags u16 | count u16 | overflow u32
 *   branch element (16):    pos u32 | ksize u32 | pgid u64
 *   leaf element (16):      flags u32 | pos u32 | ksize u32 | vsize u32
 *
 * A page's elements follow its header; the key (and, on a leaf, the value right after it) of
 * element i lives `pos` bytes after the start of element i itself. A page whose content is larger
 * than one page takes `overflow` more pages right after it. A bucket's value in its parent's
 * leaf (leaf flag 0x01) starts with the 16-byte bucket header: root pgid u64 | sequence u64; a
 * root of 0 means an inline bucket, whose leaf page follows the header inside the value.
 */
export const PAGE_HEADER_SIZE = 16;
export const BRANCH_ELEMENT_SIZE = 16;
export const LEAF_ELEMENT_SIZE = 16;
export const BUCKET_HEADER_SIZE = 16;

export const BRANCH_PAGE_FLAG = 0x01;
export const LEAF_PAGE_FLAG = 0x02;
export const META_PAGE_FLAG = 0x04;
export const FREELIST_PAGE_FLAG = 0x10;

/** Leaf element flag: the element is a bucket (its value is a bucket header). */
export const BUCKET_LEAF_FLAG = 0x01;

/** bbolt's limits on keys and values (bucket.go). */
export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;

/** A page holds at most 0xFFFF - 1 elements (count is u16; node.write panics at 0xFFFF). */
export const MAX_PAGE_ELEMENTS = 0xfffe;

const TWO_32 = 2 ** 32;

/** Reads a u64 as a number; values above 2^53 lose precision (callers bound-check them). */
export function readU64(buf: Buffer, off: number): number {
  return buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * TWO_32;
}

/** True if the u64 at `off` is 0xFFFFFFFFFFFFFFFF (bbolt's "no freelist synced" pgid). */
export function isAllOnes64(buf: Buffer, off: number): boolean {
  return buf.readUInt32LE(off) === 0xffffffff && buf.readUInt32LE(off + 4) === 0xffffffff;
}

/** Writes a non-negative safe integer as a u64. */
export function writeU64(buf: Buffer, off: number, value: number): void {
  buf.writeUInt32LE((value % TWO_32) >>> 0, off);
  buf.writeUInt32LE(Math.floor(value / TWO_32) >>> 0, off + 4);
}

export interface PageHeader {
  id: number;
  flags: number;
  count: number;
  overflow: number;
}

export function readPageHeader(buf: Buffer, off: number): PageHeader {
  return {
    id: readU64(buf, off),
    flags: buf.readUInt16LE(off + 8),
    count: buf.readUInt16LE(off + 10),
    overflow: buf.readUInt32LE(off + 12),
  };
}

export function writePageHeader(buf: Buffer, off: number, h: PageHeader): void {
  writeU64(buf, off, h.id);
  buf.writeUInt16LE(h.flags, off + 8);
  buf.writeUInt16LE(h.count, off + 10);
  buf.writeUInt32LE(h.overflow, off + 12);
}

export function pageTypeName(flags: number): string {
  switch (flags) {
    case BRANCH_PAGE_FLAG:
      return 'branch';
    case LEAF_PAGE_FLAG:
      return 'leaf';
    case META_PAGE_FLAG:
      return 'meta';
    case FREELIST_PAGE_FLAG:
      return 'freelist';
    default:
      return `unknown<${flags.toString(16).padStart(2, '0')}>`;
  }
}
