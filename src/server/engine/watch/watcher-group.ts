/**
 * A set of watchers indexed for "who watches this key" (etcd's watcherGroup). Single-key
 * watchers are found by a map lookup; range watchers are grouped by their exact interval and the
 * distinct intervals are scanned (etcd uses an interval tree; distinct intervals are few in
 * practice: prefixes of resource types).
 */
import type { Watcher } from './watcher';

interface Interval {
  start: string;
  end: string;
  watchers: Set<Watcher>;
}

export class WatcherGroup {
  private readonly keyWatchers = new Map<string, Set<Watcher>>();
  private readonly ranges = new Map<string, Interval>();
  /** Every watcher, in insertion order. */
  readonly watchers = new Set<Watcher>();

  get size(): number {
    return this.watchers.size;
  }

  has(w: Watcher): boolean {
    return this.watchers.has(w);
  }

  add(w: Watcher): void {
    if (this.watchers.has(w)) throw new Error('watch: watcher added twice to a group');
    this.watchers.add(w);
    if (w.end === undefined) {
      let s = this.keyWatchers.get(w.key);
      if (s === undefined) this.keyWatchers.set(w.key, (s = new Set()));
      s.add(w);
      return;
    }
    const ik = intervalKey(w.key, w.end);
    let iv = this.ranges.get(ik);
    if (iv === undefined) this.ranges.set(ik, (iv = { start: w.key, end: w.end, watchers: new Set() }));
    iv.watchers.add(w);
  }

  /** Removes w; false if it was not in the group. */
  delete(w: Watcher): boolean {
    if (!this.watchers.delete(w)) return false;
    if (w.end === undefined) {
      const s = this.keyWatchers.get(w.key)!;
      s.delete(w);
      if (s.size === 0) this.keyWatchers.delete(w.key);
      return true;
    }
    const ik = intervalKey(w.key, w.end);
    const iv = this.ranges.get(ik)!;
    iv.watchers.delete(w);
    if (iv.watchers.size === 0) this.ranges.delete(ik);
    return true;
  }

  /** Whether some watcher of the group watches key k. */
  contains(k: string): boolean {
    if (this.keyWatchers.has(k)) return true;
    for (const iv of this.ranges.values()) if (iv.start <= k && k < iv.end) return true;
    return false;
  }

  /** Calls fn once for every watcher of key k. */
  forEachWatching(k: string, fn: (w: Watcher) => void): void {
    const s = this.keyWatchers.get(k);
    if (s !== undefined) for (const w of s) fn(w);
    for (const iv of this.ranges.values()) {
      if (iv.start <= k && k < iv.end) for (const w of iv.watchers) fn(w);
    }
  }
}

function intervalKey(start: string, end: string): string {
  return `${start.length}:${start}${end}`;
}
