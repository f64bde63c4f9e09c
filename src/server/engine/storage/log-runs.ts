/**
 * The Raft log on disk as runs: each Ready's new entries (consecutive indexes) are one LevelDB
 * key, `raft/r/<16 hex first index>` (keys.ts), whose value holds them all (entry-codec.ts
 * encodeRun). Format 2 stored one key per entry (`raft/e/<index>`); such keys are still read,
 * as runs of one entry, and deleted like any run.
 *
 * A run written at index s replaces every entry from s up: the writer deletes every run that
 * starts at or above s in the same batch, and a run that starts below s and reaches s keeps its
 * bytes but not those entries. So of the keys on disk, one that starts later was written later,
 * and reading them in key order (the format-2 keys first: nothing writes them any more), each
 * run truncates what was read before it from its first index on. Pure: no I/O.
 */
import type { Entry } from '../../../raft';
import { decodeEntry, decodeRun } from './entry-codec';
import { ENTRY_PREFIX, RUN_PREFIX } from './keys';

/** A key of the Raft log on disk and the entries it still stands for (`last < first`: none). */
export interface StoredRun {
  key: string;
  first: number;
  last: number;
}

/** Reads the log's keys back, in key order, into its entries and the runs that hold them. */
export class LogLoader {
  readonly entries: Entry[] = [];
  readonly runs: StoredRun[] = [];

  /** One stored key and its value (a run, or a format-2 single entry). */
  add(key: string, value: Buffer): void {
    let entries: Entry[];
    if (key.startsWith(RUN_PREFIX)) entries = decodeRun(parseInt(key.slice(RUN_PREFIX.length), 16), value);
    else if (key.startsWith(ENTRY_PREFIX)) entries = [decodeEntry(parseInt(key.slice(ENTRY_PREFIX.length), 16), value)];
    else throw new Error(`not a Raft log key: ${key}`);
    if (entries.length === 0) throw new Error(`Raft log run ${key} holds no entries`);
    const first = entries[0]!.index;
    truncateRuns(this.runs, first);
    while (this.entries.length > 0 && this.entries[this.entries.length - 1]!.index >= first) this.entries.pop();
    for (const e of entries) this.entries.push(e);
    this.runs.push({ key, first, last: entries[entries.length - 1]!.index });
  }
}

/** Every run that stands for entries at or above `from` stops below it. */
function truncateRuns(runs: StoredRun[], from: number): void {
  for (let i = runs.length - 1; i >= 0 && runs[i]!.last >= from; i--) runs[i]!.last = Math.min(runs[i]!.last, from - 1);
}

/**
 * The runs of the log on disk, as the writer keeps track of them (disk-log.ts): which keys to
 * delete when entries are overwritten, compacted away or replaced by a snapshot.
 */
export class RunTracker {
  private runs: StoredRun[];

  constructor(runs: readonly StoredRun[]) {
    this.runs = runs.map((r) => ({ ...r }));
  }

  /** Keys to delete before a run at `first` is written: every run starting at or above it. */
  replaceFrom(first: number, key: string): string[] {
    const gone: string[] = [];
    let n = this.runs.length;
    while (n > 0 && this.runs[n - 1]!.first >= first) {
      n--;
      if (this.runs[n]!.key !== key) gone.push(this.runs[n]!.key);
    }
    this.runs.length = n;
    truncateRuns(this.runs, first);
    return gone;
  }

  added(run: StoredRun): void {
    this.runs.push(run);
  }

  /** Keys whose entries are all at or below `index`, dropped from the front. */
  dropThrough(index: number): string[] {
    let n = 0;
    while (n < this.runs.length && this.runs[n]!.last <= index) n++;
    return this.runs.splice(0, n).map((r) => r.key);
  }

  /** Every key, dropped. */
  dropAll(): string[] {
    const keys = this.runs.map((r) => r.key);
    this.runs = [];
    return keys;
  }
}
