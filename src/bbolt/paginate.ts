/**
 * How a node's elements are cut into pages: bbolt's node.split/splitTwo/splitIndex rule (node.go),
 * applied to a sorted run of elements at once:
 *   - the rest of the run stays on one page if it has at most 4 elements or its size is below one
 *     page (sizeLessThan(pageSize));
 *   - otherwise a page takes elements while it has fewer than 2 (MinKeysPerPage) or the next one
 *     still fits under the fill threshold (pageSize * fillPercent), always leaving at least 2 of
 *     the run for the pages after it.
 * A page whose elements do not fit in one page (a large key or value) becomes an overflow page run.
 */
import { PAGE_HEADER_SIZE } from './page';

const MIN_KEYS_PER_PAGE = 2;

export interface Pagination {
  /** Page i holds elements [starts[i], starts[i + 1]) (the last page up to the end). */
  starts: number[];
  /** Serialized size of page i: header plus its elements (may exceed a page: overflow). */
  bytes: number[];
}

/** bbolt clamps a bucket's FillPercent to [0.1, 1.0]. */
export function fillThreshold(pageSize: number, fillPercent: number): number {
  const fill = Math.min(1, Math.max(0.1, fillPercent));
  return Math.floor(pageSize * fill);
}

/**
 * Cuts elements 0..n-1, whose serialized sizes (element header + key + value) `size` gives, into
 * pages. An empty run is one empty page.
 */
export function paginate(n: number, size: (i: number) => number, pageSize: number, threshold: number): Pagination {
  const starts: number[] = [];
  const bytes: number[] = [];
  let s = 0;
  for (;;) {
    starts.push(s);
    const rest = n - s;
    if (rest <= MIN_KEYS_PER_PAGE * 2 || sizeBelow(s, n, size, pageSize)) {
      let sz = PAGE_HEADER_SIZE;
      for (let i = s; i < n; i++) sz += size(i);
      bytes.push(sz);
      return { starts, bytes };
    }
    // splitIndex: the loop stops with index at the element that would overflow the threshold, or
    // at the last candidate (rest - 3) when everything up to there fits.
    let sz = PAGE_HEADER_SIZE;
    let index = 0;
    for (let i = 0; i < rest - MIN_KEYS_PER_PAGE; i++) {
      index = i;
      const el = size(s + i);
      if (index >= MIN_KEYS_PER_PAGE && sz + el > threshold) break;
      sz += el;
    }
    // The page is [s, s + index): when the loop ran to its end, element s + index was counted in
    // sz but goes to the next page.
    let pageBytes = PAGE_HEADER_SIZE;
    for (let i = s; i < s + index; i++) pageBytes += size(i);
    bytes.push(pageBytes);
    s += index;
  }
}

/** True if elements [s, n) serialize to fewer than `limit` bytes (stops early once they don't). */
function sizeBelow(s: number, n: number, size: (i: number) => number, limit: number): boolean {
  let sz = PAGE_HEADER_SIZE;
  for (let i = s; i < n; i++) {
    sz += size(i);
    if (sz >= limit) return false;
  }
  return true;
}
