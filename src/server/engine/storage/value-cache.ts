/**
 * A bounded cache of revision records read from LevelDB, sized in bytes
 * (`--value-cache-bytes`). Two generations approximate least-recently-used at O(1) a call with
 * no iteration: records enter the young generation; when it holds half the budget it becomes the
 * old one and the previous old generation is dropped whole; a hit in the old generation moves
 * the record back to the young one. Records are immutable once written, so a cached record never
 * goes stale; the engine drops an entry when its record is deleted.
 */
import { revKey } from '../../../mvcc/codec';

const OVERHEAD = 64;

/**
 * A record's cache key: its main revision alone when its sub revision is 0 (a lone Put's record,
 * the common case; a number key is hashed without building a key string), else its engine key.
 */
export type CacheKey = number | string;

export function cacheKey(main: number, sub: number, engineKey?: string): CacheKey {
  return sub === 0 ? main : (engineKey ?? revKey(main, sub));
}

/** What a key adds to the cache's size: an engine key's length (`r/` + 16 + `_` + 8 hex). */
const KEY_BYTES = 27;

export class ValueCache {
  private young = new Map<CacheKey, Uint8Array>();
  private old = new Map<CacheKey, Uint8Array>();
  private youngBytes = 0;
  private oldBytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly limit: number) {}

  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  get(key: CacheKey): Uint8Array | undefined {
    const y = this.young.get(key);
    if (y !== undefined) {
      this.hits++;
      return y;
    }
    const o = this.old.get(key);
    if (o === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.old.delete(key);
    this.oldBytes -= cost(o);
    this.addYoung(key, o);
    return o;
  }

  set(key: CacheKey, value: Uint8Array): void {
    if (cost(value) * 2 > this.limit) return;
    this.delete(key);
    this.addYoung(key, value);
  }

  delete(key: CacheKey): void {
    const y = this.young.get(key);
    if (y !== undefined) {
      this.young.delete(key);
      this.youngBytes -= cost(y);
    }
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.oldBytes -= cost(o);
    }
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.oldBytes = 0;
  }

  private addYoung(key: CacheKey, value: Uint8Array): void {
    this.young.set(key, value);
    this.youngBytes += cost(value);
    if (this.youngBytes * 2 > this.limit) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }
}

function cost(value: Uint8Array): number {
  return KEY_BYTES + value.length + OVERHEAD;
}
