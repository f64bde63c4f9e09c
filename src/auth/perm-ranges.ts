/**
 * A user's merged key permissions (etcd `auth/range_perm_cache.go`): the READ and WRITE
 * intervals of all the user's roles. A single key is allowed if one interval holds it; a range
 * if the intervals together cover all of it (etcd's IntervalTree.Contains).
 */
import type { Permission } from './types';

/** [start, end): end undefined = no upper bound. */
interface Interval {
  start: string;
  end: string | undefined;
}

/** Sorted, non-overlapping intervals. */
export class KeyIntervals {
  private readonly list: Interval[];

  constructor(intervals: Interval[]) {
    const sorted = [...intervals].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const merged: Interval[] = [];
    for (const iv of sorted) {
      const last = merged[merged.length - 1];
      if (last !== undefined && (last.end === undefined || iv.start <= last.end)) {
        if (last.end !== undefined && (iv.end === undefined || iv.end > last.end)) last.end = iv.end;
      } else {
        merged.push({ ...iv });
      }
    }
    this.list = merged;
  }

  /** The interval holding `key`, if any. */
  private find(key: string): Interval | undefined {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const iv = this.list[mid]!;
      if (key < iv.start) hi = mid - 1;
      else if (iv.end !== undefined && key >= iv.end) lo = mid + 1;
      else return iv;
    }
    return undefined;
  }

  hasKey(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** Whether [start, end) lies inside the intervals (end undefined: unbounded). */
  covers(start: string, end: string | undefined): boolean {
    if (end !== undefined && end <= start) return this.hasKey(start);
    const iv = this.find(start);
    if (iv === undefined) return false;
    if (iv.end === undefined) return true;
    return end !== undefined && end <= iv.end;
  }
}

function intervalOf(p: Permission): Interval {
  if (p.rangeEnd === '') return { start: p.key, end: `${p.key}\0` };
  if (p.rangeEnd === '\0') return { start: p.key, end: undefined };
  return { start: p.key, end: p.rangeEnd };
}

export interface MergedPermissions {
  read: KeyIntervals;
  write: KeyIntervals;
}

export function mergePermissions(perms: Iterable<Permission>): MergedPermissions {
  const read: Interval[] = [];
  const write: Interval[] = [];
  for (const p of perms) {
    const iv = intervalOf(p);
    if (p.permType !== 'WRITE') read.push(iv);
    if (p.permType !== 'READ') write.push(iv);
  }
  return { read: new KeyIntervals(read), write: new KeyIntervals(write) };
}

/**
 * etcd's check of a request's range against merged intervals: a single key (rangeEnd '') must
 * lie in one; a range ('\0' = to the end of the key space) must be covered.
 */
export function permits(intervals: KeyIntervals, key: string, rangeEnd: string): boolean {
  if (rangeEnd === '') return intervals.hasKey(key);
  return intervals.covers(key, rangeEnd === '\0' ? undefined : rangeEnd);
}

/** etcd's isValidPermissionRange: a key, and a range end after it (or '\0', or none). */
export function isValidPermissionRange(key: string, rangeEnd: string): boolean {
  if (key === '') return false;
  if (rangeEnd === '' || rangeEnd === '\0') return true;
  return key < rangeEnd;
}
