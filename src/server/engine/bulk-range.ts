/**
 * Large ranges (thousands of keys): planned from the index synchronously (the answer is fixed
 * then, like any read), their records read in chunks through a {@link BulkReader} while the
 * previous chunk is encoded, and the response encoded as it goes (wire/range-encoder.ts). Memory
 * is the encoded response plus two chunks of records; the event loop is never held for a whole
 * large range.
 */
import type { MvccStore, RangeRequest } from '../../mvcc';
import type { RangePlan } from '../../mvcc/range';
import type { Header } from '../wire/convert';
import { RangeEncoder } from '../wire/range-encoder';
import type { BulkReader } from './storage/bulk-reader';
import type { LevelEngine } from './storage/level-engine';

/** Below this many KeyValues a range is read synchronously (streamRange). */
export const BULK_MIN = 2048;
const CHUNK = 8192;

/** The encoded RangeResponse of a large range, or undefined (then answer it the usual way). */
export function bulkRange(
  mvcc: MvccStore,
  engine: LevelEngine,
  req: RangeRequest,
  header: (revision: number) => Header,
): Promise<Buffer> | undefined {
  if (req.range_end === undefined || req.range_end.length === 0) return undefined;
  if ((req.limit ?? 0) > 0 && (req.limit ?? 0) < BULK_MIN) return undefined;
  const plan = mvcc.planRange(req);
  if (plan === undefined || plan.revisions.length < 2 * BULK_MIN) return undefined;
  return encodeInChunks(plan, engine.bulkReader(), header(plan.summary.revision));
}

async function encodeInChunks(plan: RangePlan, reader: BulkReader, header: Header): Promise<Buffer> {
  const enc = new RangeEncoder(header);
  const revs = plan.revisions;
  const n = revs.length / 2;
  let next: Promise<Uint8Array[]> | undefined = reader.read(revs, 0, Math.min(CHUNK, n));
  try {
    for (let from = 0; from < n; from += CHUNK) {
      const records: Uint8Array[] = await next!;
      const after = from + CHUNK;
      next = after < n ? reader.read(revs, after, Math.min(after + CHUNK, n)) : undefined;
      if (from === 0) enc.expect(expectedBytes(records, n));
      for (const rec of records) enc.record(rec);
    }
    return enc.finish(plan.summary);
  } finally {
    await next?.catch(() => undefined);
    await reader.close();
  }
}

/**
 * The response size to expect from the first chunk's records: their mean size over all n, plus a
 * margin for the field tags and lengths and for larger records later (beyond it the response
 * grows in chunks and is joined at the end, one more copy).
 */
function expectedBytes(first: Uint8Array[], n: number): number {
  if (first.length === 0) return 0;
  let bytes = 0;
  for (const r of first) bytes += r.length;
  return Math.ceil((bytes / first.length + 16) * n * 1.1);
}
