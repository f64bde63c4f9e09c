/**
 * writeBolt / boltChunks: a whole bbolt database file from a tree of buckets, as one committed
 * transaction would leave it, built in two passes (plan.ts lays out and allocates every page;
 * then each node's pages are written, in page order, into a zero-filled Buffer of their own).
 *
 * File layout: page 0 and 1 meta, page 2 an empty freelist (unless syncFreelist is false), then
 * each bucket's pages, sub-buckets before their parent, leaves before the branches above them;
 * the root bucket's pages come last. Every page below the high water mark is reachable, so
 * bbolt's tx.Check finds neither unreachable nor freed pages.
 */
import { constants as bufferConstants } from 'node:buffer';
import { BoltError } from './errors';
import { writeMetaPage, type Meta } from './meta';
import { inlineValue, writeBranch, writeLeaf } from './nodes';
import { FREELIST_PAGE_FLAG, writePageHeader } from './page';
import { fillThreshold } from './paginate';
import { planBucket, type BucketPlan, type PlanContext } from './plan';
import type { WriteOptions, WriteTree } from './types';

/**
 * The file as a sequence of chunks, in page order (every page id is written once, in increasing
 * order), with its total size known up front: what a stream sends without holding the file.
 * Values (ValueSources) are copied in when their page is produced. Planning reads every key and
 * value length first.
 */
export function boltChunks(root: Map<string, WriteTree>, opts: WriteOptions = {}): { size: number; chunks: Generator<Buffer> } {
  const pageSize = opts.pageSize ?? 4096;
  if (!Number.isInteger(pageSize) || pageSize < 1024 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new BoltError('Invalid', `page size ${pageSize} is not a power of two in [1024, 65536]`);
  }
  const txid = opts.txid ?? 1;
  if (!Number.isSafeInteger(txid) || txid < 1) throw new BoltError('Invalid', `txid ${txid} must be an integer >= 1`);
  const syncFreelist = opts.syncFreelist ?? true;

  const ctx: PlanContext = {
    pageSize,
    threshold: fillThreshold(pageSize, opts.fillPercent ?? 1),
    inlineBuckets: opts.inlineBuckets ?? true,
    next: syncFreelist ? 3 : 2,
    writeInline: inlineValue,
  };
  const plan = planBucket({ keys: [], buckets: root }, [], true, ctx);
  const pgid = ctx.next;
  const head = Buffer.alloc((syncFreelist ? 3 : 2) * pageSize);
  const meta: Meta = { pageSize, flags: 0, root: plan.root, rootSequence: 0n, freelist: syncFreelist ? 2 : null, pgid, txid };
  writeMetaPage(head, (txid % 2) * pageSize, txid % 2, meta);
  writeMetaPage(head, ((txid - 1) % 2) * pageSize, (txid - 1) % 2, { ...meta, txid: txid - 1 });
  if (syncFreelist) writePageHeader(head, 2 * pageSize, { id: 2, flags: FREELIST_PAGE_FLAG, count: 0, overflow: 0 });
  function* chunks(): Generator<Buffer> {
    yield head;
    yield* planPages(plan, pageSize);
  }
  return { size: pgid * pageSize, chunks: chunks() };
}

/** The whole file in one Buffer. */
export function writeBolt(root: Map<string, WriteTree>, opts: WriteOptions = {}): Buffer {
  const { size, chunks } = boltChunks(root, opts);
  if (size > bufferConstants.MAX_LENGTH) {
    throw new BoltError('Invalid', `database of ${size} bytes exceeds the largest Buffer (${bufferConstants.MAX_LENGTH})`);
  }
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const c of chunks) off += c.copy(buf, off);
  return buf;
}

/** A bucket's pages (its sub-buckets' first), one node (page and its overflow) at a time. */
function* planPages(plan: BucketPlan, pageSize: number): Generator<Buffer> {
  for (const child of plan.children) yield* planPages(child, pageSize);
  const leaves = plan.levels[0];
  if (leaves === undefined) return; // inline: written into the parent's leaf
  for (let i = 0; i < leaves.starts.length; i++) {
    const [id, overflow] = pageOf(leaves.pgids, leaves.bytes, i, pageSize);
    const node = Buffer.alloc((overflow + 1) * pageSize);
    writeLeaf(node, 0, id, overflow, plan, leaves.starts[i] as number, end(leaves.starts, i, plan.count));
    yield node;
  }
  for (let l = 1; l < plan.levels.length; l++) {
    const level = plan.levels[l] as (typeof plan.levels)[number];
    const below = plan.levels[l - 1] as (typeof plan.levels)[number];
    for (let i = 0; i < level.starts.length; i++) {
      const [id, overflow] = pageOf(level.pgids, level.bytes, i, pageSize);
      const node = Buffer.alloc((overflow + 1) * pageSize);
      writeBranch(node, 0, id, overflow, plan, below, level.starts[i] as number, end(level.starts, i, below.starts.length));
      yield node;
    }
  }
}

function pageOf(pgids: number[], bytes: number[], i: number, pageSize: number): [number, number] {
  return [pgids[i] as number, Math.ceil((bytes[i] as number) / pageSize) - 1];
}

function end(starts: number[], i: number, n: number): number {
  return i + 1 < starts.length ? (starts[i + 1] as number) : n;
}
