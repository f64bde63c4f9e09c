/**
 * readBolt: the buckets and keys of a bbolt database file held in a Buffer.
 *
 * Like bbolt's Open it takes the page size from the meta pages and uses the valid meta with the
 * higher txid (falling back to the other one when the newer is damaged). It then walks the root
 * bucket's B+tree and every sub-bucket (inline ones from their parent's leaf), checking what a
 * walk can check: page ids below the high water mark and inside the file, each page identifying
 * as itself and referenced once, page types, element bounds, keys strictly ascending in each
 * bucket. Anything else is a BoltError with a code and the page at fault.
 *
 * Keys and values are views into `file` (no copies): copy them if `file` is going to change.
 */
import { BoltError } from './errors';
import { readMetas, type Meta } from './meta';
import {
  BRANCH_ELEMENT_SIZE,
  BRANCH_PAGE_FLAG,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  FREELIST_PAGE_FLAG,
  LEAF_ELEMENT_SIZE,
  LEAF_PAGE_FLAG,
  PAGE_HEADER_SIZE,
  pageTypeName,
  readPageHeader,
  readU64,
} from './page';
import type { BoltInfo, BucketTree } from './types';

export function readBolt(file: Buffer): Map<string, BucketTree> {
  const r = new Reader(file);
  const root: BucketTree = { keys: [], buckets: new Map() };
  r.walkBucket(r.meta.root, root, []);
  if (root.keys.length > 0)
    throw new BoltError('Corrupt', `root bucket holds a plain key (${(root.keys[0] as [Buffer, Buffer])[0].toString('hex')})`);
  return root.buckets;
}

/** The meta and freelist of a file (checks the metas and the freelist page, not the tree). */
export function readBoltInfo(file: Buffer): BoltInfo {
  const r = new Reader(file);
  const m = r.meta;
  return {
    pageSize: r.pageSize,
    txid: m.txid,
    root: m.root,
    freelist: m.freelist,
    freePages: r.freePages,
    pgid: m.pgid,
    metaValid: [r.metaValid[0], r.metaValid[1]],
  };
}

interface Span {
  /** Byte offset of the page header. */
  off: number;
  /** End of the page's bytes (after its overflow pages). */
  end: number;
  flags: number;
  count: number;
}

class Reader {
  readonly pageSize: number;
  readonly meta: Meta;
  readonly metaValid: [boolean, boolean];
  readonly freePages: number[] = [];
  private readonly seen: Uint8Array;

  constructor(private readonly file: Buffer) {
    const metas = readMetas(file);
    this.pageSize = metas.pageSize;
    this.meta = metas.meta;
    this.metaValid = [metas.meta0.ok, metas.meta1.ok];
    const { pgid, root, freelist } = this.meta;
    if (!Number.isSafeInteger(pgid) || pgid < 3) throw new BoltError('Corrupt', `meta high water mark ${pgid} is invalid`);
    if (pgid * this.pageSize > file.length) {
      throw new BoltError('Truncated', `file has ${file.length} bytes but its meta counts ${pgid} pages of ${this.pageSize} bytes`);
    }
    if (root < 2 || root >= pgid) throw new BoltError('Corrupt', `meta root page ${root} outside [2, ${pgid})`);
    this.seen = new Uint8Array(pgid);
    this.seen[0] = this.seen[1] = 1;
    if (freelist !== null) this.readFreelist(freelist);
  }

  /** Adds the entries of the bucket whose root page is `pgid` (and its sub-buckets) to `out`. */
  walkBucket(pgid: number, out: BucketTree, path: string[]): void {
    const last: { key: Buffer | null } = { key: null };
    this.walkPage(pgid, out, path, last, 0);
  }

  private walkPage(pgid: number, out: BucketTree, path: string[], last: { key: Buffer | null }, depth: number): void {
    const p = this.page(pgid, path);
    if (p.flags === LEAF_PAGE_FLAG) {
      this.readLeaf(p.off, p.end, p.count, `page ${pgid}`, out, path, last);
      return;
    }
    if (p.flags !== BRANCH_PAGE_FLAG)
      throw corrupt(`page ${pgid} in ${where(path)} is a ${pageTypeName(p.flags)} page, not a branch or leaf`);
    if (depth > 64) throw corrupt(`page ${pgid} in ${where(path)}: B+tree deeper than 64 levels`);
    if (p.count === 0) throw corrupt(`branch page ${pgid} in ${where(path)} has no elements`);
    const elems = p.off + PAGE_HEADER_SIZE;
    if (elems + p.count * BRANCH_ELEMENT_SIZE > p.end) throw corrupt(`branch page ${pgid}: ${p.count} elements overrun the page`);
    for (let i = 0; i < p.count; i++) {
      const e = elems + i * BRANCH_ELEMENT_SIZE;
      const child = readU64(this.file, e + 8);
      this.walkPage(child, out, path, last, depth + 1);
    }
  }

  /** Reads the leaf page whose header is at `off` and whose bytes end at `end`. */
  private readLeaf(
    off: number,
    end: number,
    count: number,
    what: string,
    out: BucketTree,
    path: string[],
    last: { key: Buffer | null },
  ): void {
    const file = this.file;
    const elems = off + PAGE_HEADER_SIZE;
    if (elems + count * LEAF_ELEMENT_SIZE > end) throw corrupt(`${what} in ${where(path)}: ${count} elements overrun the page`);
    for (let i = 0; i < count; i++) {
      const e = elems + i * LEAF_ELEMENT_SIZE;
      const flags = file.readUInt32LE(e);
      const k = e + file.readUInt32LE(e + 4);
      const ksize = file.readUInt32LE(e + 8);
      const v = k + ksize;
      const vend = v + file.readUInt32LE(e + 12);
      if (ksize === 0 || vend > end) throw corrupt(`${what} in ${where(path)}: element ${i} (key ${ksize} bytes) lies outside the page`);
      const key = file.subarray(k, v);
      if (last.key !== null && Buffer.compare(last.key, key) >= 0) {
        throw corrupt(`${what} in ${where(path)}: key ${key.toString('hex')} does not sort after ${last.key.toString('hex')}`);
      }
      last.key = key;
      if ((flags & BUCKET_LEAF_FLAG) === 0) {
        out.keys.push([key, file.subarray(v, vend)]);
        continue;
      }
      const name = key.toString('latin1');
      const sub: BucketTree = { keys: [], buckets: new Map() };
      out.buckets.set(name, sub);
      this.readBucketValue(v, vend, sub, [...path, name]);
    }
  }

  /** A sub-bucket's value: a bucket header, then (root 0) its inline leaf page. */
  private readBucketValue(v: number, vend: number, sub: BucketTree, path: string[]): void {
    if (vend - v < BUCKET_HEADER_SIZE) throw corrupt(`${where(path)}: bucket value of ${vend - v} bytes is shorter than a bucket header`);
    const root = readU64(this.file, v);
    if (root !== 0) {
      this.walkBucket(root, sub, path);
      return;
    }
    const off = v + BUCKET_HEADER_SIZE;
    if (vend - off < PAGE_HEADER_SIZE) throw corrupt(`${where(path)}: inline bucket value too short for a page header`);
    const h = readPageHeader(this.file, off);
    if (h.flags !== LEAF_PAGE_FLAG) throw corrupt(`${where(path)}: inline bucket page is a ${pageTypeName(h.flags)} page, not a leaf`);
    this.readLeaf(off, vend, h.count, 'inline page', sub, path, { key: null });
  }

  /** Bounds of page `pgid` and its overflow pages, checking id, range and single reference. */
  private page(pgid: number, path: string[]): Span {
    const { pageSize, file } = this;
    const hwm = this.meta.pgid;
    if (!Number.isSafeInteger(pgid) || pgid < 2 || pgid >= hwm) throw corrupt(`${where(path)} refers to page ${pgid} outside [2, ${hwm})`);
    const off = pgid * pageSize;
    const h = readPageHeader(file, off);
    if (h.id !== pgid) throw corrupt(`page ${pgid} identifies as page ${h.id}`);
    const last = pgid + h.overflow;
    if (last >= hwm) throw corrupt(`page ${pgid} overflows to page ${last}, beyond the high water mark ${hwm}`);
    for (let id = pgid; id <= last; id++) {
      if (this.seen[id] === 1) throw corrupt(`page ${id} is referenced more than once (reached again from ${where(path)})`);
      this.seen[id] = 1;
    }
    return { off, end: (last + 1) * pageSize, flags: h.flags, count: h.count };
  }

  private readFreelist(pgid: number): void {
    const p = this.page(pgid, ['<freelist>']);
    if (p.flags !== FREELIST_PAGE_FLAG) throw corrupt(`freelist page ${pgid} is a ${pageTypeName(p.flags)} page`);
    let first = p.off + PAGE_HEADER_SIZE;
    let count = p.count;
    if (count === 0xffff) {
      if (first + 8 > p.end) throw corrupt(`freelist page ${pgid}: no room for its element count`);
      count = readU64(this.file, first);
      first += 8;
    }
    if (first + count * 8 > p.end) throw corrupt(`freelist page ${pgid}: ${count} ids overrun the page`);
    for (let i = 0; i < count; i++) {
      const id = readU64(this.file, first + i * 8);
      if (id < 2 || id >= this.meta.pgid) throw corrupt(`freelist page ${pgid} lists page ${id} outside [2, ${this.meta.pgid})`);
      this.freePages.push(id);
    }
  }
}

function where(path: string[]): string {
  if (path.length === 1 && path[0] === '<freelist>') return 'the freelist';
  return path.length === 0 ? 'the root bucket' : `bucket ${JSON.stringify(path)}`;
}

function corrupt(message: string): BoltError {
  return new BoltError('Corrupt', message);
}
