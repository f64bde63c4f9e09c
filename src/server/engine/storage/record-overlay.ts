/**
 * The revision records written but not yet in a landed batch (level-engine.ts), found by
 * revision. Keyed by the main revision, a number: the records of one revision share one entry,
 * an array indexed by sub revision once it holds more than one, so a DeleteRange or lease
 * revocation of 200,000 keys adds 200,000 array slots to one entry instead of hashing 200,000
 * fresh record-key strings into a Map.
 */
export interface Revisioned {
  readonly main: number;
  readonly sub: number;
}

/** The entries of one main revision holding more than one record. */
class Run<T> {
  readonly at: (T | undefined)[] = [];
  held = 0;
}

export class RecordOverlay<T extends Revisioned> {
  private readonly byMain = new Map<number, T | Run<T>>();
  private count = 0;

  /** Records held. */
  get size(): number {
    return this.count;
  }

  get(main: number, sub: number): T | undefined {
    const e = this.byMain.get(main);
    if (e === undefined) return undefined;
    if (e instanceof Run) return e.at[sub];
    return e.sub === sub ? e : undefined;
  }

  /** Holds `v` as its revision's entry, replacing the one held. */
  set(v: T): void {
    const e = this.byMain.get(v.main);
    if (e === undefined) {
      this.byMain.set(v.main, v);
      this.count++;
    } else if (e instanceof Run) {
      if (e.at[v.sub] === undefined) {
        e.held++;
        this.count++;
      }
      e.at[v.sub] = v;
    } else if (e.sub === v.sub) {
      this.byMain.set(v.main, v);
    } else {
      const run = new Run<T>();
      run.at[e.sub] = e;
      run.at[v.sub] = v;
      run.held = 2;
      this.byMain.set(v.main, run);
      this.count++;
    }
  }

  /** Drops `v` if it is still its revision's entry (a later write of the same revision stays). */
  settle(v: T): void {
    const e = this.byMain.get(v.main);
    if (e === v) {
      this.byMain.delete(v.main);
      this.count--;
    } else if (e instanceof Run && e.at[v.sub] === v) {
      e.at[v.sub] = undefined;
      this.count--;
      if (--e.held === 0) this.byMain.delete(v.main);
    }
  }

  clear(): void {
    this.byMain.clear();
    this.count = 0;
  }

  /** Every record held (in no particular order). */
  forEach(fn: (v: T) => void): void {
    for (const e of this.byMain.values()) {
      if (!(e instanceof Run)) fn(e);
      else for (const v of e.at) if (v !== undefined) fn(v);
    }
  }
}
