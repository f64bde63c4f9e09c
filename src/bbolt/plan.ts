/**
 * First pass of writeBolt: lays out every bucket's B+tree without writing a byte. For each bucket
 * it checks the keys, merges keys and sub-bucket names into one sorted run of leaf entries,
 * decides whether the bucket goes inline into its parent (bbolt's Bucket.inlineable: a single
 * leaf, no sub-buckets, at most pageSize / 4 bytes), cuts the entries into leaf pages, builds
 * branch levels above them until one root page remains, and allocates page ids. Sub-buckets are
 * planned (and so allocated) before their parent, as bbolt spills children first.
 *
 * Per key nothing is allocated; per bucket with sub-buckets one Int32Array gives the merged order.
 */
import { BoltError } from './errors';
import { paginate } from './paginate';
import { BRANCH_ELEMENT_SIZE, BUCKET_HEADER_SIZE, LEAF_ELEMENT_SIZE, MAX_KEY_SIZE, MAX_VALUE_SIZE, PAGE_HEADER_SIZE } from './page';
import type { ValueSource, WriteTree } from './types';

/** One level of a bucket's B+tree: level 0 are the leaves, the last level is the root page. */
export interface Level {
  /** Node i holds elements [starts[i], starts[i + 1]) of the level below (of the entries for leaves). */
  starts: number[];
  /** Serialized size of node i. */
  bytes: number[];
  /** First page id of node i (it takes ceil(bytes / pageSize) pages). */
  pgids: number[];
  /** Index of the entry whose key is node i's first key (its key in the parent branch). */
  firstEntry: number[];
}

export interface BucketPlan {
  tree: WriteTree;
  /** Sub-bucket names (bytes), sorted; children[i] is the plan of names[i]. */
  names: Buffer[];
  children: BucketPlan[];
  /** Merged entry order (k >= 0: keys[k]; k < 0: sub-bucket -k - 1); null when there are no sub-buckets. */
  order: Int32Array | null;
  /** Number of leaf entries (keys plus sub-buckets). */
  count: number;
  /** The whole bucket value (header + leaf page) when the bucket is written inline, else null. */
  inline: Buffer | null;
  /** Tree levels, leaves first; empty for an inline bucket. */
  levels: Level[];
  /** Root page id; 0 for an inline bucket. */
  root: number;
}

export interface PlanContext {
  pageSize: number;
  threshold: number;
  inlineBuckets: boolean;
  /** Next free page id; allocation bumps it. */
  next: number;
  /** Writes an inline bucket's leaf page into a value buffer (provided by the page writer). */
  writeInline(plan: BucketPlan): Buffer;
}

export function entryKey(plan: BucketPlan, i: number): Buffer {
  const k = plan.order === null ? i : (plan.order[i] as number);
  return k >= 0 ? (plan.tree.keys[k] as [Buffer, ValueSource])[0] : (plan.names[-k - 1] as Buffer);
}

/** Size of entry i's value: the value, or the sub-bucket's header (and inline page). */
export function entryValueSize(plan: BucketPlan, i: number): number {
  const k = plan.order === null ? i : (plan.order[i] as number);
  if (k >= 0) return (plan.tree.keys[k] as [Buffer, ValueSource])[1].length;
  const child = plan.children[-k - 1] as BucketPlan;
  return child.inline === null ? BUCKET_HEADER_SIZE : child.inline.length;
}

/** Plans a bucket and, first, all its sub-buckets. `path` names it in error messages. */
export function planBucket(tree: WriteTree, path: string[], isRoot: boolean, ctx: PlanContext): BucketPlan {
  const where = () => (path.length === 0 ? 'the root bucket' : `bucket ${JSON.stringify(path)}`);
  const named: Array<[Buffer, WriteTree, string]> = [];
  for (const [name, sub] of tree.buckets) {
    const bytes = Buffer.from(name, 'latin1');
    if (bytes.toString('latin1') !== name) throw invalid(`${where()}: sub-bucket name ${JSON.stringify(name)} is not a latin1 byte string`);
    if (bytes.length === 0) throw invalid(`${where()}: empty sub-bucket name`);
    if (bytes.length > MAX_KEY_SIZE) throw invalid(`${where()}: sub-bucket name longer than ${MAX_KEY_SIZE} bytes`);
    named.push([bytes, sub, name]);
  }
  named.sort((a, b) => Buffer.compare(a[0], b[0]));
  const children = named.map(([, sub, name]) => planBucket(sub, [...path, name], false, ctx));
  const plan: BucketPlan = {
    tree,
    names: named.map((n) => n[0]),
    children,
    order: null,
    count: tree.keys.length + named.length,
    inline: null,
    levels: [],
    root: 0,
  };
  checkKeys(tree, where);
  if (named.length > 0) plan.order = mergeOrder(tree, plan.names, where);

  const leafSize = (i: number) => LEAF_ELEMENT_SIZE + entryKey(plan, i).length + entryValueSize(plan, i);
  if (!isRoot && ctx.inlineBuckets && named.length === 0 && fitsInline(plan, leafSize, ctx.pageSize / 4)) {
    plan.inline = ctx.writeInline(plan);
    return plan;
  }
  let level = allocate(paginate(plan.count, leafSize, ctx.pageSize, ctx.threshold), (i, starts) => starts[i] as number, ctx);
  plan.levels.push(level);
  while (level.starts.length > 1) {
    const below = level;
    const branchSize = (i: number) => BRANCH_ELEMENT_SIZE + entryKey(plan, below.firstEntry[i] as number).length;
    const pages = paginate(below.starts.length, branchSize, ctx.pageSize, ctx.threshold);
    level = allocate(pages, (i, starts) => below.firstEntry[starts[i] as number] as number, ctx);
    plan.levels.push(level);
  }
  plan.root = level.pgids[0] as number;
  return plan;
}

function allocate(p: { starts: number[]; bytes: number[] }, first: (i: number, starts: number[]) => number, ctx: PlanContext): Level {
  const pgids: number[] = [];
  const firstEntry: number[] = [];
  for (let i = 0; i < p.starts.length; i++) {
    pgids.push(ctx.next);
    ctx.next += Math.ceil((p.bytes[i] as number) / ctx.pageSize);
    firstEntry.push(first(i, p.starts));
  }
  return { starts: p.starts, bytes: p.bytes, pgids, firstEntry };
}

/** bbolt's inlineable(): page header plus elements must not exceed maxSize. */
function fitsInline(plan: BucketPlan, size: (i: number) => number, maxSize: number): boolean {
  let sz = PAGE_HEADER_SIZE;
  for (let i = 0; i < plan.count; i++) {
    sz += size(i);
    if (sz > maxSize) return false;
  }
  return true;
}

function checkKeys(tree: WriteTree, where: () => string): void {
  const keys = tree.keys;
  for (let i = 0; i < keys.length; i++) {
    const [k, v] = keys[i] as [Buffer, ValueSource];
    if (k.length === 0) throw invalid(`${where()}: empty key at index ${i}`);
    if (k.length > MAX_KEY_SIZE) throw invalid(`${where()}: key at index ${i} longer than ${MAX_KEY_SIZE} bytes`);
    if (v.length > MAX_VALUE_SIZE) throw invalid(`${where()}: value at index ${i} longer than ${MAX_VALUE_SIZE} bytes`);
    if (i > 0 && Buffer.compare((keys[i - 1] as [Buffer, ValueSource])[0], k) >= 0) {
      throw invalid(`${where()}: keys not strictly ascending at index ${i} (${k.toString('hex')})`);
    }
  }
}

/** Merges sorted keys and sorted (unique: Map keys) names into one order; a key equal to a name is an error. */
function mergeOrder(tree: WriteTree, names: Buffer[], where: () => string): Int32Array {
  const keys = tree.keys;
  const order = new Int32Array(keys.length + names.length);
  let i = 0;
  let j = 0;
  for (let o = 0; o < order.length; o++) {
    if (j >= names.length) {
      order[o] = i++;
    } else if (i >= keys.length) {
      order[o] = -(j++ + 1);
    } else {
      const c = Buffer.compare((keys[i] as [Buffer, ValueSource])[0], names[j] as Buffer);
      if (c === 0) throw invalid(`${where()}: ${(names[j] as Buffer).toString('hex')} is both a key and a sub-bucket`);
      order[o] = c < 0 ? i++ : -(j++ + 1);
    }
  }
  return order;
}

function invalid(message: string): BoltError {
  return new BoltError('Invalid', message);
}
