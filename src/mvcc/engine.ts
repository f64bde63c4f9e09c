/**
 * The ordered key-value engine the MVCC store persists through.
 *
 * Contract (the store relies on nothing else):
 * - Synchronous. Reads see every earlier write of this process, even if the engine buffers
 *   writes to flush them later (the LevelDB engine keeps an in-memory mirror and a batch).
 * - Keys are ASCII strings, ordered as JS strings (= byte order for ASCII).
 * - `scan(start, end)` yields the pairs with start <= key < end in ascending key order. The
 *   store never writes to the engine while it iterates a scan.
 * - Stored values are never mutated by the engine after `put`; the store may keep views into
 *   them (and never mutates them either).
 */
import BTree from 'sorted-btree';
import { revKey } from './codec';

/** Plain JS string order (code units): byte order for latin1/ASCII strings. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface Engine {
  get(key: string): Uint8Array | undefined;
  /** The revision record (main, sub): `get(revKey(main, sub))`, which an engine may answer without making the key. */
  getRevision(main: number, sub: number): Uint8Array | undefined;
  put(key: string, value: Uint8Array): void;
  /** Writes the revision record (main, sub): `put(revKey(main, sub), value)`, without the key if the engine can. */
  putRevision(main: number, sub: number, value: Uint8Array): void;
  del(key: string): void;
  /** Deletes the revision record (main, sub): `del(revKey(main, sub))`, without the key if the engine can. */
  delRevision(main: number, sub: number): void;
  scan(start: string, end: string): Iterable<[string, Uint8Array]>;
}

/** In-memory engine over a B+ tree. */
export class MemoryEngine implements Engine {
  private readonly tree = new BTree<string, Uint8Array>(undefined, compareStrings);

  get(key: string): Uint8Array | undefined {
    return this.tree.get(key);
  }

  getRevision(main: number, sub: number): Uint8Array | undefined {
    return this.tree.get(revKey(main, sub));
  }

  put(key: string, value: Uint8Array): void {
    this.tree.set(key, value, true);
  }

  putRevision(main: number, sub: number, value: Uint8Array): void {
    this.tree.set(revKey(main, sub), value, true);
  }

  del(key: string): void {
    this.tree.delete(key);
  }

  delRevision(main: number, sub: number): void {
    this.tree.delete(revKey(main, sub));
  }

  *scan(start: string, end: string): Iterable<[string, Uint8Array]> {
    if (!(start < end)) return;
    for (const pair of this.tree.entries(start)) {
      if (!(pair[0] < end)) return;
      yield [pair[0], pair[1]];
    }
  }

  /** Number of stored pairs (tests, metrics). */
  get size(): number {
    return this.tree.size;
  }
}
