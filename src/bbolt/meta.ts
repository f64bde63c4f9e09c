/**
 * bbolt's meta page (internal/common/meta.go): pages 0 and 1 each hold, after the page header,
 *
 *   magic u32 | version u32 | pageSize u32 | flags u32 | root bucket header (root u64, sequence u64)
 *   | freelist u64 | pgid u64 | txid u64 | checksum u64
 *
 * `pgid` is the high water mark (the number of pages in use), `freelist` the freelist page or
 * 0xFFFFFFFFFFFFFFFF when no freelist was synced (NoFreelistSync, as etcd runs bbolt on Linux),
 * and `checksum` is FNV-64a over the 56 meta bytes before it. A reader uses the valid meta with
 * the higher txid and falls back to the other one (db.go meta()).
 */
import { BoltError, type BoltErrorCode } from './errors';
import { META_PAGE_FLAG, PAGE_HEADER_SIZE, isAllOnes64, readU64, writePageHeader, writeU64 } from './page';

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;
/** Size of the meta struct; it starts right after the page header. */
export const META_SIZE = 64;
const CHECKSUM_OFFSET = 56;

export interface Meta {
  pageSize: number;
  flags: number;
  /** Page id of the root bucket's root page. */
  root: number;
  rootSequence: bigint;
  /** Freelist page id, or null when none is synced (pgid 0xFFFFFFFFFFFFFFFF on disk). */
  freelist: number | null;
  /** High water mark: the number of pages the database uses. */
  pgid: number;
  txid: number;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/** FNV-1a, 64-bit, over buf[start, end). */
export function fnv64a(buf: Buffer, start: number, end: number): bigint {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    h ^= BigInt(buf[i] as number);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

/** Writes a whole meta page (header, meta, checksum) for page `pageId` at byte `off`. */
export function writeMetaPage(buf: Buffer, off: number, pageId: number, m: Meta): void {
  writePageHeader(buf, off, { id: pageId, flags: META_PAGE_FLAG, count: 0, overflow: 0 });
  const o = off + PAGE_HEADER_SIZE;
  buf.writeUInt32LE(MAGIC, o);
  buf.writeUInt32LE(VERSION, o + 4);
  buf.writeUInt32LE(m.pageSize, o + 8);
  buf.writeUInt32LE(m.flags, o + 12);
  writeU64(buf, o + 16, m.root);
  buf.writeBigUInt64LE(m.rootSequence, o + 24);
  if (m.freelist === null) buf.writeBigUInt64LE(MASK64, o + 32);
  else writeU64(buf, o + 32, m.freelist);
  writeU64(buf, o + 40, m.pgid);
  writeU64(buf, o + 48, m.txid);
  buf.writeBigUInt64LE(fnv64a(buf, o, o + CHECKSUM_OFFSET), o + CHECKSUM_OFFSET);
}

export type MetaResult = { ok: true; meta: Meta } | { ok: false; code: BoltErrorCode; reason: string };

/**
 * Decodes and validates the meta struct of the page at byte `off` (bbolt's Meta.Validate: magic,
 * then version, then checksum). Never throws for a short buffer: that is a NotBolt result.
 */
export function readMeta(buf: Buffer, off: number): MetaResult {
  const o = off + PAGE_HEADER_SIZE;
  if (o + META_SIZE > buf.length) return { ok: false, code: 'NotBolt', reason: 'file too short for a meta page' };
  const magic = buf.readUInt32LE(o);
  if (magic !== MAGIC) {
    return { ok: false, code: 'NotBolt', reason: `bad magic 0x${magic.toString(16)} (want 0x${MAGIC.toString(16)})` };
  }
  const version = buf.readUInt32LE(o + 4);
  if (version !== VERSION) return { ok: false, code: 'Version', reason: `format version ${version} (want ${VERSION})` };
  const stored = buf.readBigUInt64LE(o + CHECKSUM_OFFSET);
  const sum = fnv64a(buf, o, o + CHECKSUM_OFFSET);
  if (stored !== sum) {
    return { ok: false, code: 'Checksum', reason: `meta checksum 0x${stored.toString(16)} != computed 0x${sum.toString(16)}` };
  }
  return {
    ok: true,
    meta: {
      pageSize: buf.readUInt32LE(o + 8),
      flags: buf.readUInt32LE(o + 12),
      root: readU64(buf, o + 16),
      rootSequence: buf.readBigUInt64LE(o + 24),
      freelist: isAllOnes64(buf, o + 32) ? null : readU64(buf, o + 32),
      pgid: readU64(buf, o + 40),
      txid: readU64(buf, o + 48),
    },
  };
}

/** The two meta pages of a file, as found, and the one bbolt would use. */
export interface MetaPair {
  pageSize: number;
  meta0: MetaResult;
  meta1: MetaResult;
  /** The valid meta with the higher txid (bbolt falls back to the other if it is invalid). */
  meta: Meta;
}

/**
 * Finds the page size and picks the meta like bbolt's Open: the page size comes from a valid meta
 * 0, else from a valid meta 1 probed at 1 KiB << i (i = 0..14, as getPageSizeFromSecondMeta does).
 * Throws a BoltError when neither meta page is valid.
 */
export function readMetas(file: Buffer): MetaPair {
  const first = readMeta(file, 0);
  let pageSize = first.ok ? first.meta.pageSize : 0;
  if (!first.ok) {
    for (let i = 0; i <= 14; i++) {
      const pos = 1024 << i;
      if (pos >= file.length - 1024) break;
      const m = readMeta(file, pos);
      if (m.ok && m.meta.pageSize === pos) {
        pageSize = pos;
        break;
      }
    }
  }
  if (!first.ok && pageSize === 0) {
    if (first.code === 'NotBolt') throw new BoltError('NotBolt', `not a bolt file: ${first.reason}`);
    throw new BoltError(first.code, `no valid meta page: meta 0: ${first.reason}; no valid meta 1 found`);
  }
  if (pageSize < 1024 || (pageSize & (pageSize - 1)) !== 0) throw new BoltError('Corrupt', `invalid page size ${pageSize}`);
  const meta0 = first;
  const meta1 = readMeta(file, pageSize);
  const candidates = [meta0, meta1].filter((m): m is { ok: true; meta: Meta } => m.ok && m.meta.pageSize === pageSize);
  candidates.sort((a, b) => b.meta.txid - a.meta.txid);
  const best = candidates[0];
  if (best === undefined) {
    const bad = meta0.ok ? meta1 : meta0;
    const code = bad.ok ? 'Corrupt' : bad.code;
    throw new BoltError(code, `no valid meta page: meta 0: ${reasonOf(meta0)}; meta 1: ${reasonOf(meta1)}`);
  }
  return { pageSize, meta0, meta1, meta: best.meta };
}

function reasonOf(m: MetaResult): string {
  return m.ok ? `page size ${m.meta.pageSize}` : m.reason;
}
