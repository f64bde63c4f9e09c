/**
 * The LevelDB ops of the engine's revision records (level-engine.ts): the record (`mvcc/r/...`)
 * and its header (`mvcc-h/r/...`, {@link headerValue}), as small objects whose LevelDB keys and
 * header values are made when their batch is built, and the split of a large batch into chunks
 * written ahead ({@link splitLargeBatch}).
 */
import { parseRevKey, recordHeaderLength, revKey, REV_PREFIX } from '../../../mvcc/codec';
import { crc32c } from '../../../encoding/crc32c';
import { encodeIndex, HEADER_PREFIX, MVCC_PREFIX, MVCC_REV_PREFIX, PARTIAL_APPLY_KEY } from './keys';

const HEADER_REV_PREFIX = HEADER_PREFIX + REV_PREFIX;

export type PutOp = { type: 'put'; key: string; value: Uint8Array };
export type BatchOp = PutOp | { type: 'del'; key: string };

/**
 * What a revision record's write and delete share: the revision, and the engine key `ek`
 * (`r/...`) and LevelDB key, made when the batch is built (classic-level reads `key` and `value`
 * once per op and copies them). A DeleteRange or lease revocation of many keys makes no key
 * string while it applies, and holds one small object per record until its batch lands, not a
 * header buffer duplicating the key and two key strings. A plain copy of such an op (object
 * spread) loses the accessors: write them with rawBatch (raw-batch.ts).
 */
abstract class RecordKeys {
  private engineKey: string | undefined = undefined;
  constructor(
    readonly main: number,
    readonly sub: number,
  ) {}
  /** The engine key, made when first asked for (the record's and its header's LevelDB keys). */
  get ek(): string {
    return (this.engineKey ??= revKey(this.main, this.sub));
  }
  get key(): string {
    return MVCC_PREFIX + this.ek;
  }
}

/** A revision record's write; its header's key and value ({@link HeaderPut}) are made with the batch too. */
export class RecordPut extends RecordKeys {
  readonly type = 'put';
  constructor(
    readonly value: Uint8Array,
    main: number,
    sub: number,
    readonly crc: number,
  ) {
    super(main, sub);
  }
}

/** The header of a {@link RecordPut}, made from it when the batch is built. */
export class HeaderPut {
  readonly type = 'put';
  constructor(readonly rec: RecordPut) {}
  get key(): string {
    return HEADER_PREFIX + this.rec.ek;
  }
  get value(): Buffer {
    const r = this.rec;
    return headerValue(r.main, r.sub, r.value, r.crc);
  }
}

/** A revision record's delete. */
export class RecordDel extends RecordKeys {
  readonly type = 'del';
}

/** The delete of a {@link RecordDel}'s header. */
export class HeaderDel {
  readonly type = 'del';
  constructor(readonly rec: RecordDel) {}
  get key(): string {
    return HEADER_PREFIX + this.rec.ek;
  }
}

export type RecordOp = RecordPut | RecordDel;

/** A batch split by {@link splitLargeBatch}: `ahead` chunks first, in order, then `last`. */
export interface SplitBatch {
  ahead: BatchOp[][];
  last: BatchOp[];
}

/**
 * Splits a batch holding the puts of more than `chunkOps` revision records and headers (a
 * DeleteRange or lease revocation of many keys): those puts go ahead in chunks of `chunkOps`
 * ops, the first one marking the store with {@link PARTIAL_APPLY_KEY} and the lowest revision
 * they hold; `last` keeps every other op in order, and clears the mark. LevelDB then converts
 * and holds one chunk at a time instead of the whole batch (its buffer, its memtable copy and
 * every header made for it), and the records leave the overlay chunk by chunk.
 *
 * Safe because nothing else in the batch touches those keys before them (a record deleted in the
 * same batch, or a batch writing revision keys with plain ops, as a snapshot install does, is not
 * split) and revisions only grow: a crash after some chunks leaves records of revisions the stored
 * applied index does not cover, all at or above the marked one; boot deletes them
 * ({@link dropPartialApply} in member-db.ts) and Raft replays their entries. Returns undefined
 * for a batch not worth splitting.
 */
export function splitLargeBatch(ops: readonly BatchOp[], chunkOps: number): SplitBatch | undefined {
  if (ops.length <= chunkOps) return undefined;
  let deleted: Set<string> | undefined;
  let puts = 0;
  let first = Infinity;
  for (const op of ops) {
    if (op instanceof RecordPut) {
      puts++;
      if (op.main < first) first = op.main;
    } else if (op instanceof RecordDel) (deleted ??= new Set()).add(op.ek);
    else if (!(op instanceof HeaderPut || op instanceof HeaderDel) && isRevisionDbKey(op.key)) return undefined;
  }
  if (2 * puts <= chunkOps) return undefined;
  const ahead: BatchOp[][] = [[{ type: 'put', key: PARTIAL_APPLY_KEY, value: encodeIndex(first) }]];
  const last: BatchOp[] = [];
  for (const op of ops) {
    const rec = op instanceof RecordPut ? op : op instanceof HeaderPut ? op.rec : undefined;
    if (rec === undefined || deleted?.has(rec.ek) === true) {
      last.push(op);
      continue;
    }
    let chunk = ahead[ahead.length - 1]!;
    if (chunk.length >= chunkOps) ahead.push((chunk = []));
    chunk.push(op);
  }
  last.push({ type: 'del', key: PARTIAL_APPLY_KEY });
  return { ahead, last };
}

const isRevisionDbKey = (k: string): boolean => k.startsWith(MVCC_REV_PREFIX) || k.startsWith(HEADER_REV_PREFIX);

/** Whether an engine key is a revision record's. */
export const isRev = (k: string): boolean => k.charCodeAt(0) === 0x72 && k.charCodeAt(1) === 0x2f; // "r/"

/** The LevelDB ops that store one engine record: the record, and for a revision its header. */
export function recordOps(engineKey: string, value: Uint8Array): PutOp[] {
  const ops: PutOp[] = [{ type: 'put', key: MVCC_PREFIX + engineKey, value }];
  if (isRev(engineKey)) {
    const { main, sub } = parseRevKey(engineKey);
    ops.push({ type: 'put', key: HEADER_PREFIX + engineKey, value: headerValue(main, sub, value) });
  }
  return ops;
}

/**
 * A header entry: u32 crc32c of the rest of the entry (checked at boot: the header blocks are
 * not verified before LevelDB opens), the revision (f64 main, u32 sub, so boot reads values
 * only), u32 size of the record with its key, u32 crc32c of the record, then the record up to
 * its value.
 */
export function headerValue(main: number, sub: number, rec: Uint8Array, crc: number = crc32c(rec)): Buffer {
  const hl = recordHeaderLength(rec);
  const out = Buffer.allocUnsafe(24 + hl);
  out.writeDoubleBE(main, 4);
  out.writeUInt32BE(sub, 12);
  out.writeUInt32BE(REV_KEY_LENGTH + rec.length, 16);
  out.writeUInt32BE(crc, 20);
  out.set(rec.subarray(0, hl), 24);
  out.writeUInt32BE(crc32c(out.subarray(4)), 0);
  return out;
}

/** Length of a revision record's engine key (`r/` + 16 hex + `_` + 8 hex). */
const REV_KEY_LENGTH = 27;
