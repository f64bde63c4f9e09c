import { RaftError } from './errors';
import { ConfState, Entry, EntryType, EMPTY_BYTES, HardState, Snapshot, emptyHardState, emptySnapshot, limitSize } from './types';

/**
 * The read side of stable storage that raft consults. Everything returned must already be
 * durable. Errors are `RaftError` with code 'Compacted', 'Unavailable', 'SnapOutOfDate' or
 * 'SnapshotTemporarilyUnavailable'.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), limited to `maxSize` bytes (at least one entry if any). */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot;
}

/**
 * An in-memory Storage. The server replays its persisted WAL into it at boot (applySnapshot,
 * setHardState, append) and keeps appending what each Ready asks it to persist.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snap: Snapshot = emptySnapshot();
  /** ents[0] is a dummy entry holding the index and term of the last compaction point. */
  private ents: Entry[] = [{ term: 0, index: 0, type: EntryType.EntryNormal, data: EMPTY_BYTES }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.hardState }, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = { ...hs };
  }

  hardStateSnapshot(): HardState {
    return { ...this.hardState };
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new RaftError('Compacted');
    if (hi > this.lastIndex() + 1) {
      throw new Error(`entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`);
    }
    if (this.ents.length === 1) throw new RaftError('Unavailable');
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize);
  }

  term(i: number): number {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new RaftError('Compacted');
    if (i - offset >= this.ents.length) throw new RaftError('Unavailable');
    return this.ents[i - offset]!.term;
  }

  lastIndex(): number {
    return this.ents[0]!.index + this.ents.length - 1;
  }

  firstIndex(): number {
    return this.ents[0]!.index + 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the contents of the storage with the snapshot. */
  applySnapshot(snap: Snapshot): void {
    const idx = this.snap.metadata.index;
    if (idx >= snap.metadata.index) throw new RaftError('SnapOutOfDate');
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: EntryType.EntryNormal, data: EMPTY_BYTES }];
  }

  /**
   * Makes a snapshot retrievable by snapshot() at applied index `i`, with the given configuration
   * and state machine data. It does not compact the log; call compact() for that.
   */
  createSnapshot(i: number, cs: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new RaftError('SnapOutOfDate');
    const offset = this.ents[0]!.index;
    if (i > this.lastIndex()) {
      throw new Error(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    }
    this.snap = {
      data,
      metadata: {
        index: i,
        term: this.ents[i - offset]!.term,
        confState: cs ?? this.snap.metadata.confState,
      },
    };
    return this.snap;
  }

  /** Discards all entries before `compactIndex`; the entry at compactIndex becomes the dummy. */
  compact(compactIndex: number): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new RaftError('Compacted');
    if (compactIndex > this.lastIndex()) {
      throw new Error(`compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`);
    }
    const i = compactIndex - offset;
    const head = this.ents[i]!;
    const rest = this.ents.slice(i + 1);
    this.ents = [{ term: head.term, index: head.index, type: EntryType.EntryNormal, data: EMPTY_BYTES }, ...rest];
  }

  /**
   * Appends entries, truncating any existing suffix that they overwrite. Entries already
   * compacted away are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    let ents = entries;
    if (first > entries[0]!.index) ents = entries.slice(first - entries[0]!.index);
    const offset = ents[0]!.index - this.ents[0]!.index;
    if (this.ents.length > offset) {
      this.ents.length = offset;
      for (const e of ents) this.ents.push(e);
    } else if (this.ents.length === offset) {
      for (const e of ents) this.ents.push(e);
    } else {
      throw new Error(`missing log entry [last: ${this.lastIndex()}, append at: ${ents[0]!.index}]`);
    }
  }
}
