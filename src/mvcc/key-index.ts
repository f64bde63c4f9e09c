/**
 * The revisions of one key (etcd's keyIndex), kept small: the index holds one of these per key
 * and nothing else, so the store's memory grows with the number of keys, not with the bytes
 * stored. Values are never held here: they are read from the engine when asked for.
 *
 * `revs` is flat: [main, sub, main, sub, ...], oldest first, every retained revision of the key.
 * A tombstone stores its sub as -(sub + 1). A generation (the life of the key from a creation to
 * a deletion) ends at each tombstone; the key is live iff its newest revision is a put.
 *
 * While the key is live, `create`, `version` and `lease` describe its newest put (what a put on
 * top of it, a compare or a lease attach needs), so writes and count/keys-only reads never read
 * a value.
 */
import type { Engine } from './engine';
import { decodeRecord, revKey } from './codec';
import type { KeyValue } from './types';

/** The parts of a key's newest put the index keeps (no value). */
export interface LiveMeta {
  create: number;
  version: number;
  lease: bigint;
}

const ZERO_LEASE = 0n;

export class KeyIndex {
  /** The key, one char per byte (latin1). */
  readonly k: string;
  revs: number[] = [];
  create = 0;
  version = 0;
  lease: bigint = ZERO_LEASE;

  constructor(k: string) {
    this.k = k;
  }

  private isTomb(i: number): boolean {
    return this.revs[2 * i + 1]! < 0;
  }

  private get count(): number {
    return this.revs.length >> 1;
  }

  /** True when the key exists at the newest revision. */
  isLive(): boolean {
    const n = this.revs.length;
    return n > 0 && this.revs[n - 1]! >= 0;
  }

  /** True when nothing is left (only after compaction): the index drops the key. */
  isEmpty(): boolean {
    return this.revs.length === 0;
  }

  /** True when the key has exactly one revision and no tombstone: compaction has nothing to do. */
  isSingleRevision(): boolean {
    return this.revs.length === 2 && this.revs[1]! >= 0;
  }

  /** The newest put's metadata (meaningful only while live). */
  meta(): LiveMeta {
    return { create: this.create, version: this.version, lease: this.lease };
  }

  /** Main revision of the newest put (the key's mod_revision while live). */
  modRevision(): number {
    return this.revs[this.revs.length - 2]!;
  }

  /** Records a put at (main, sub) with the new value's metadata. */
  put(main: number, sub: number, create: number, version: number, lease: bigint): void {
    // A literal allocates exactly two slots; push on an empty array would reserve 17.
    if (this.revs.length === 0) this.revs = [main, sub];
    else this.revs.push(main, sub);
    this.create = create;
    this.version = version;
    this.lease = lease === 0n ? ZERO_LEASE : lease;
  }

  /** Reverts the newest put; `prev` is the metadata before it. For txn rollback only. */
  unput(prev: LiveMeta): void {
    this.revs.length -= 2;
    this.restoreMeta(prev);
  }

  /**
   * Records a deletion at (main, sub). Precondition: the key is live, except at restore where a
   * tombstone may be the first record of a key whose creation was compacted away.
   */
  tombstone(main: number, sub: number): void {
    if (this.revs.length === 0) this.revs = [main, -(sub + 1)];
    else this.revs.push(main, -(sub + 1));
  }

  /** Reverts the newest tombstone. For txn rollback only. */
  untombstone(prev: LiveMeta): void {
    this.revs.length -= 2;
    this.restoreMeta(prev);
  }

  private restoreMeta(m: LiveMeta): void {
    this.create = m.create;
    this.version = m.version;
    this.lease = m.lease;
  }

  /** Index (in pairs) of the put visible at atRev, or -1 when the key does not exist at atRev. */
  private find(atRev: number): number {
    const revs = this.revs;
    for (let i = (revs.length >> 1) - 1; i >= 0; i--) {
      if (revs[2 * i]! <= atRev) return revs[2 * i + 1]! < 0 ? -1 : i;
    }
    return -1;
  }

  /** True when the key exists at revision atRev. */
  existsAt(atRev: number): boolean {
    return this.find(atRev) >= 0;
  }

  /** The (main, sub) visible at atRev into out[at], out[at + 1]; false when the key does not exist then. */
  revisionAt(atRev: number, out: number[], at: number): boolean {
    const i = this.find(atRev);
    if (i < 0) return false;
    out[at] = this.revs[2 * i]!;
    out[at + 1] = this.revs[2 * i + 1]!;
    return true;
  }

  /** The engine key of the revision visible at atRev, or undefined. */
  recordKeyAt(atRev: number): string | undefined {
    const i = this.find(atRev);
    return i < 0 ? undefined : revKey(this.revs[2 * i]!, this.revs[2 * i + 1]!);
  }

  /**
   * The key's KeyValue at atRev with its metadata only (value empty, no engine read): what a
   * keys-only read returns. The key buffer is built from the index key.
   */
  metaAt(atRev: number, engine: Engine, empty: Buffer): KeyValue | undefined {
    const i = this.find(atRev);
    if (i < 0) return undefined;
    const main = this.revs[2 * i]!;
    if (i === this.count - 1) {
      return {
        key: Buffer.from(this.k, 'latin1'),
        create_revision: this.create,
        mod_revision: main,
        version: this.version,
        value: empty,
        lease: this.lease,
      };
    }
    const kv = readRecord(engine, main, this.revs[2 * i + 1]!);
    return { ...kv, value: empty };
  }

  /** The key's value at revision atRev, or undefined. Reads the engine. */
  kvAt(atRev: number, engine: Engine): KeyValue | undefined {
    const i = this.find(atRev);
    if (i < 0) return undefined;
    return readRecord(engine, this.revs[2 * i]!, this.revs[2 * i + 1]!);
  }

  /** The newest put's KeyValue (the key must be live). Reads the engine. */
  latest(engine: Engine): KeyValue {
    const n = this.revs.length;
    return readRecord(engine, this.revs[n - 2]!, this.revs[n - 1]!);
  }

  /**
   * Compacts at atRev like etcd's keyIndex.compact: generations whose tombstone is below atRev
   * are dropped; in the first remaining generation the newest revision <= atRev is kept and older
   * ones dropped. `drop` is called for every dropped revision (to delete its record).
   */
  compact(atRev: number, drop: (main: number, sub: number) => void): void {
    const revs = this.revs;
    const n = this.count;
    let start = 0;
    let end = 0; // index of the current generation's tombstone, or n for the open generation
    for (;;) {
      end = start;
      while (end < n && !this.isTomb(end)) end++;
      if (end < n && revs[2 * end]! < atRev) {
        start = end + 1;
        continue;
      }
      break;
    }
    let keepFrom = start;
    for (let i = Math.min(end, n - 1); i > start; i--) {
      if (revs[2 * i]! <= atRev) {
        keepFrom = i;
        break;
      }
    }
    if (keepFrom === 0) return;
    for (let i = 0; i < keepFrom; i++) drop(revs[2 * i]!, subOf(revs[2 * i + 1]!));
    revs.splice(0, 2 * keepFrom);
  }

  /** Whether (main, sub) is the put visible at atRev (the newest revision <= atRev, not a tombstone). */
  newestPutAt(atRev: number, main: number, sub: number): boolean {
    const i = this.find(atRev);
    return i >= 0 && this.revs[2 * i] === main && this.revs[2 * i + 1] === sub;
  }

  /** Whether (main, sub) is one of the key's retained revisions. */
  has(main: number, sub: number): boolean {
    const revs = this.revs;
    for (let i = 0; i < revs.length; i += 2) if (revs[i] === main && subOf(revs[i + 1]!) === sub) return true;
    return false;
  }

  /** Every stored revision (main, sub), oldest first. */
  forEachRevision(fn: (main: number, sub: number) => void): void {
    for (let i = 0; i < this.revs.length; i += 2) fn(this.revs[i]!, subOf(this.revs[i + 1]!));
  }
}

function subOf(enc: number): number {
  return enc < 0 ? -enc - 1 : enc;
}

function readRecord(engine: Engine, main: number, subEnc: number): KeyValue {
  const sub = subOf(subEnc);
  const rec = engine.get(revKey(main, sub));
  if (rec === undefined) throw new Error(`mvcc: missing revision record ${main}_${sub}`);
  return decodeRecord(rec).kv;
}
