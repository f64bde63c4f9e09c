/**
 * The `key` bucket of a backend snapshot when the values are on disk: the records are read once,
 * in chunks between event-loop turns, to learn each value's encoded length (the bbolt writer lays
 * out its pages first), and read again from the same LevelDB snapshot when their page is written.
 * Memory holds a few numbers per revision, never the values; the cut is the reader's (taken
 * synchronously with the rest of the state).
 */
import type { ValueSource } from '../../../bbolt';
import type { BulkReader } from '../storage/bulk-reader';
import { RecordValue, revisionEntry } from './etcd-backend';

const CHUNK = 8192;

/** The entries of every revision in `revisions` (pairs main, sub, ascending). */
export async function storedRevisions(reader: BulkReader, revisions: ArrayLike<number>): Promise<[Buffer, ValueSource][]> {
  const out: [Buffer, ValueSource][] = [];
  const n = revisions.length / 2;
  for (let from = 0; from < n; from += CHUNK) {
    const to = Math.min(from + CHUNK, n);
    const recs = await reader.read(revisions, from, to);
    for (let i = 0; i < recs.length; i++) {
      const main = revisions[2 * (from + i)]!;
      const sub = revisions[2 * (from + i) + 1]!;
      const rec = recs[i]!;
      out.push(revisionEntry(main, sub, rec, new RecordValue(rec, () => reader.readOne(main, sub))));
    }
  }
  return out;
}
