/**
 * The in-memory index: key -> {@link KeyIndex}, ordered by raw key bytes. Keys are held as
 * latin1 strings (one char per byte), whose JS order is unsigned byte order.
 */
import BTree from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad';
import { KeyIndex } from './key-index';

/** sorted-btree's default branching factor, for trees built in bulk too. */
const NODE_SIZE = 32;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Upper bound greater than every latin1 key string: used for "all keys >= key". */
export const KEY_MAX = '\uffff';

/** The index form of a key: one char per byte. Tolerates a plain Uint8Array. */
export function keyStr(b: Buffer | Uint8Array): string {
  return Buffer.isBuffer(b) ? b.toString('latin1') : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * A key range in index form. `end === undefined` is the single key `start`; otherwise the
 * half-open range [start, end) (end may be KEY_MAX).
 */
export interface KeySpan {
  start: string;
  end: string | undefined;
}

/** etcd's range_end conventions: empty = single key, "\0" = all keys >= key. */
export function toSpan(key: Buffer | undefined, rangeEnd: Buffer | undefined): KeySpan {
  const start = key === undefined ? '' : keyStr(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: undefined };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: KEY_MAX };
  return { start, end: keyStr(rangeEnd) };
}

export class KvIndex {
  private readonly tree: BTree<string, KeyIndex>;
  /** Number of live keys at the newest revision. */
  liveKeys = 0;
  /**
   * Keys compaction may have work on (more than one revision, or a tombstone), so compaction
   * costs O(keys changed since the last compaction), not O(all keys). May hold extra keys
   * (after a rollback); compaction prunes them. A set of the KeyIndexes themselves: adding one
   * hashes no key string (a DeleteRange of 200,000 keys adds each).
   */
  readonly compactable = new Set<KeyIndex>();

  constructor(tree?: BTree<string, KeyIndex>) {
    this.tree = tree ?? new BTree<string, KeyIndex>(undefined, compareStrings);
  }

  /**
   * An index of `kis` (keys strictly ascending, as `keys` gives them), built in O(n); throws when
   * the keys are not strictly ascending. liveKeys is counted; compactable is left empty.
   */
  static fromSorted(keys: string[], kis: KeyIndex[]): KvIndex {
    const index = new KvIndex(bulkLoad(keys, kis, NODE_SIZE, compareStrings));
    for (const ki of kis) if (ki.isLive()) index.liveKeys++;
    return index;
  }

  get(k: string): KeyIndex | undefined {
    return this.tree.get(k);
  }

  /**
   * The key's KeyIndex, created if absent. For callers that expect a new key (index rebuilds, a
   * put that found no key): one descent of the tree for a new key (set without overwrite reports
   * whether the key was there), two otherwise.
   */
  getOrAdd(k: string): KeyIndex {
    const ki = new KeyIndex(k);
    return this.tree.set(k, ki, false) ? ki : this.tree.get(k)!;
  }

  /** Removes a key (`ki` must be the one the index holds for it). */
  remove(ki: KeyIndex): void {
    this.tree.delete(ki.k);
    this.compactable.delete(ki);
  }

  get size(): number {
    return this.tree.size;
  }

  /** Calls fn for each KeyIndex in the span, ascending; stops when fn returns false. */
  visit(span: KeySpan, fn: (ki: KeyIndex) => boolean | void): void {
    if (span.end === undefined) {
      const ki = this.tree.get(span.start);
      if (ki !== undefined) fn(ki);
      return;
    }
    if (!(span.start < span.end)) return;
    this.tree.editRange(span.start, span.end, false, (_k, ki) => {
      if (fn(ki) === false) return { break: true };
      return undefined;
    });
  }

  /** Every KeyIndex with its key string, ascending. */
  forEach(fn: (k: string, ki: KeyIndex) => void): void {
    this.tree.forEachPair((k, ki) => {
      fn(k, ki);
    });
  }
}
