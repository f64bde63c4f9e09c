/**
 * Serializes planned B+tree nodes into pages (bbolt's node.write / WriteInodeToPage): the page
 * header, then one element per entry, then the keys (and leaf values) packed after the elements,
 * each element's `pos` pointing from the element to its key.
 */
import { entryKey, entryValueSize, type BucketPlan, type Level } from './plan';
import {
  BRANCH_ELEMENT_SIZE,
  BRANCH_PAGE_FLAG,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_SIZE,
  LEAF_PAGE_FLAG,
  MAX_PAGE_ELEMENTS,
  PAGE_HEADER_SIZE,
  writePageHeader,
  writeU64,
} from './page';
import { BoltError } from './errors';
import type { ValueSource } from './types';

/** Writes leaf page `id` holding entries [from, to) of `plan` at byte `off` of `buf`. */
export function writeLeaf(buf: Buffer, off: number, id: number, overflow: number, plan: BucketPlan, from: number, to: number): void {
  const count = to - from;
  checkCount(count, id);
  writePageHeader(buf, off, { id, flags: LEAF_PAGE_FLAG, count, overflow });
  let elem = off + PAGE_HEADER_SIZE;
  let data = elem + count * LEAF_ELEMENT_SIZE;
  const keys = plan.tree.keys;
  const order = plan.order;
  for (let i = from; i < to; i++, elem += LEAF_ELEMENT_SIZE) {
    const k = order === null ? i : (order[i] as number);
    if (k >= 0) {
      const [key, value] = keys[k] as [Buffer, ValueSource];
      buf.writeUInt32LE(0, elem);
      buf.writeUInt32LE(data - elem, elem + 4);
      buf.writeUInt32LE(key.length, elem + 8);
      buf.writeUInt32LE(value.length, elem + 12);
      data += key.copy(buf, data);
      data += value.copy(buf, data);
    } else {
      const name = plan.names[-k - 1] as Buffer;
      const child = plan.children[-k - 1] as BucketPlan;
      const vsize = entryValueSize(plan, i);
      buf.writeUInt32LE(BUCKET_LEAF_FLAG, elem);
      buf.writeUInt32LE(data - elem, elem + 4);
      buf.writeUInt32LE(name.length, elem + 8);
      buf.writeUInt32LE(vsize, elem + 12);
      data += name.copy(buf, data);
      if (child.inline !== null) {
        child.inline.copy(buf, data);
      } else {
        // Bucket header: root page id, then a sequence of 0 (the buffer is zero-filled).
        writeU64(buf, data, child.root);
      }
      data += vsize;
    }
  }
}

/** Writes branch page `id` holding nodes [from, to) of level `below` at byte `off` of `buf`. */
export function writeBranch(
  buf: Buffer,
  off: number,
  id: number,
  overflow: number,
  plan: BucketPlan,
  below: Level,
  from: number,
  to: number,
): void {
  const count = to - from;
  checkCount(count, id);
  writePageHeader(buf, off, { id, flags: BRANCH_PAGE_FLAG, count, overflow });
  let elem = off + PAGE_HEADER_SIZE;
  let data = elem + count * BRANCH_ELEMENT_SIZE;
  for (let i = from; i < to; i++, elem += BRANCH_ELEMENT_SIZE) {
    const key = entryKey(plan, below.firstEntry[i] as number);
    buf.writeUInt32LE(data - elem, elem);
    buf.writeUInt32LE(key.length, elem + 4);
    writeU64(buf, elem + 8, below.pgids[i] as number);
    data += key.copy(buf, data);
  }
}

/** The value of an inline bucket: a bucket header (root 0, sequence 0) and its leaf page (id 0). */
export function inlineValue(plan: BucketPlan): Buffer {
  let size = BUCKET_HEADER_SIZE + PAGE_HEADER_SIZE;
  for (let i = 0; i < plan.count; i++) size += LEAF_ELEMENT_SIZE + entryKey(plan, i).length + entryValueSize(plan, i);
  const value = Buffer.alloc(size);
  writeLeaf(value, BUCKET_HEADER_SIZE, 0, 0, plan, 0, plan.count);
  return value;
}

function checkCount(count: number, id: number): void {
  if (count > MAX_PAGE_ELEMENTS) throw new BoltError('Invalid', `page ${id} would hold ${count} elements (max ${MAX_PAGE_ELEMENTS})`);
}
