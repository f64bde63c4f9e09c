/**
 * The revisions of one key (etcd's keyIndex), kept small: the index holds one of these per key
 * and nothing else, so the store's memory grows with the number of keys, not with the bytes
 * stored. Values are never held here: they are read from the engine when asked for.
 *
 * The retained revisions, oldest first, are held inline while there is one put whose metadata
 * is that of a new key (created at its own revision, version 1: most keys), else in a flat
 * array [create, version, main, sub, main, sub, ...]: one small heap object per key besides its
 * string (five fields), which keeps garbage collection and memory proportional to the keys. A
 * tombstone stores its sub as -(sub + 1). A generation (the life of the key from a creation to a
 * deletion) ends at each tombstone; the key is live iff its newest revision is a put.
 *
 * While the key is live, `create`, `version` and `lease` describe its newest put (what a put on
 * top of it, a compare or a lease attach needs), so writes and count/keys-only reads never read
 * a value. A key that is not live reports create and version 0 when held inline.
 */
import type { Engine } from './engine';
import { decodeRecord } from './codec';
import type { KeyValue } from './types';

/** The parts of a key's newest put the index keeps (no value). */
export interface LiveMeta {
  create: number;
  version: number;
  lease: bigint;
}

const ZERO_LEASE = 0n;
/** Slots before the first revision in the array form: create, version. */
const HEAD = 2;

export class KeyIndex {
  /** The key, one char per byte (latin1). */
  readonly k: string;
  /** The only revision, inline (main, encoded sub); main 0 when the key has none. */
  private m0 = 0;
  private s0 = 0;
  /** The array form [create, version, main, sub, ...], or undefined when inline. */
  private more: number[] | undefined = undefined;
  lease: bigint = ZERO_LEASE;

  constructor(k: string) {
    this.k = k;
  }

  /** The newest put's create revision (0 for an inline key that is not live). */
  get create(): number {
    const more = this.more;
    if (more !== undefined) return more[0]!;
    return this.s0 >= 0 ? this.m0 : 0;
  }

  /** The newest put's version (0 for an inline key that is not live). */
  get version(): number {
    const more = this.more;
    if (more !== undefined) return more[1]!;
    return this.m0 !== 0 && this.s0 >= 0 ? 1 : 0;
  }

  private get n(): number {
    const more = this.more;
    if (more !== undefined) return (more.length - HEAD) >> 1;
    return this.m0 === 0 ? 0 : 1;
  }

  private mainAt(i: number): number {
    return this.more === undefined ? this.m0 : this.more[HEAD + 2 * i]!;
  }

  /** Encoded sub of revision i (negative: a tombstone). */
  private subAt(i: number): number {
    return this.more === undefined ? this.s0 : this.more[HEAD + 2 * i + 1]!;
  }

  /** The inline form holding one revision, or none (main 0). */
  private setInline(main: number, subEnc: number): void {
    this.m0 = main;
    this.s0 = subEnc;
    this.more = undefined;
  }

  private push(main: number, subEnc: number): void {
    if (this.more !== undefined) this.more.push(main, subEnc);
    else if (this.m0 === 0) this.setInline(main, subEnc);
    else this.more = [this.create, this.version, this.m0, this.s0, main, subEnc];
  }

  private pop(): void {
    if (this.more === undefined) return this.setInline(0, 0);
    this.more.length -= 2;
    this.normalize();
  }

  /** Sets the newest put's create and version, choosing the form that holds them (also index images). */
  setCounts(create: number, version: number): void {
    const more = this.more;
    if (more !== undefined) {
      more[0] = create;
      more[1] = version;
      this.normalize();
    } else if (this.m0 !== 0 && this.s0 >= 0 && (create !== this.m0 || version !== 1)) {
      this.more = [create, version, this.m0, this.s0];
    }
  }

  /** Back to inline when the array form holds no more than inline can. */
  private normalize(): void {
    const more = this.more!;
    if (more.length > HEAD + 2) return;
    if (more.length === HEAD) this.setInline(0, 0);
    else if (more[3]! < 0 || (more[0] === more[2] && more[1] === 1)) this.setInline(more[2]!, more[3]!);
  }

  /** Number of retained revisions (index images). */
  get revisionCount(): number {
    return this.n;
  }

  /** Main revision of retained revision i, oldest first (index images). */
  mainOf(i: number): number {
    return this.mainAt(i);
  }

  /** Sub of retained revision i as held: a tombstone's is -(sub + 1) (index images). */
  encodedSubOf(i: number): number {
    return this.subAt(i);
  }

  /** Appends a revision given as mainOf/encodedSubOf report it, oldest first (index images). */
  pushEncoded(main: number, subEnc: number): void {
    this.push(main, subEnc);
  }

  /** True when the key exists at the newest revision. */
  isLive(): boolean {
    const more = this.more;
    if (more === undefined) return this.m0 !== 0 && this.s0 >= 0;
    return more.length > HEAD && more[more.length - 1]! >= 0;
  }

  /** True when nothing is left (only after compaction): the index drops the key. */
  isEmpty(): boolean {
    return this.n === 0;
  }

  /** True when the key has exactly one revision and no tombstone: compaction has nothing to do. */
  isSingleRevision(): boolean {
    return this.n === 1 && this.subAt(0) >= 0;
  }

  /** The newest put's metadata (meaningful only while live). */
  meta(): LiveMeta {
    return { create: this.create, version: this.version, lease: this.lease };
  }

  /** Records a put at (main, sub) with the new value's metadata. */
  put(main: number, sub: number, create: number, version: number, lease: bigint): void {
    this.push(main, sub);
    this.setCounts(create, version);
    this.lease = lease === 0n ? ZERO_LEASE : lease;
  }

  /** Reverts the newest put; `prev` is the metadata before it. For txn rollback only. */
  unput(prev: LiveMeta): void {
    this.pop();
    this.restoreMeta(prev);
  }

  /**
   * Records a deletion at (main, sub). Precondition: the key is live, except at restore where a
   * tombstone may be the first record of a key whose creation was compacted away.
   */
  tombstone(main: number, sub: number): void {
    this.push(main, -(sub + 1));
  }

  /** Reverts the newest tombstone. For txn rollback only. */
  untombstone(prev: LiveMeta): void {
    this.pop();
    this.restoreMeta(prev);
  }

  private restoreMeta(m: LiveMeta): void {
    this.setCounts(m.create, m.version);
    this.lease = m.lease;
  }

  /** Index of the put visible at atRev, or -1 when the key does not exist at atRev. */
  private find(atRev: number): number {
    for (let i = this.n - 1; i >= 0; i--) {
      if (this.mainAt(i) <= atRev) return this.subAt(i) < 0 ? -1 : i;
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
    out[at] = this.mainAt(i);
    out[at + 1] = this.subAt(i);
    return true;
  }

  /** Whether (main, sub) is the put visible at atRev (the newest revision <= atRev, not a tombstone). */
  newestPutAt(atRev: number, main: number, sub: number): boolean {
    const i = this.find(atRev);
    return i >= 0 && this.mainAt(i) === main && this.subAt(i) === sub;
  }

  /**
   * The key's KeyValue at atRev with its metadata only (value empty, no engine read for the
   * newest revision): what a keys-only read returns. The key buffer is built from the index key.
   */
  metaAt(atRev: number, engine: Engine, empty: Buffer): KeyValue | undefined {
    const i = this.find(atRev);
    if (i < 0) return undefined;
    const main = this.mainAt(i);
    if (i === this.n - 1) {
      return {
        key: Buffer.from(this.k, 'latin1'),
        create_revision: this.create,
        mod_revision: main,
        version: this.version,
        value: empty,
        lease: this.lease,
      };
    }
    const kv = readRecord(engine, main, this.subAt(i));
    return { ...kv, value: empty };
  }

  /** The key's value at revision atRev, or undefined. Reads the engine. */
  kvAt(atRev: number, engine: Engine): KeyValue | undefined {
    const i = this.find(atRev);
    if (i < 0) return undefined;
    return readRecord(engine, this.mainAt(i), this.subAt(i));
  }

  /**
   * The key's record at revision atRev (mvcc/codec.ts layout, a live record), or undefined: for
   * readers that copy its fields straight into a response. Reads the engine.
   */
  recordAt(atRev: number, engine: Engine): Uint8Array | undefined {
    const i = this.find(atRev);
    if (i < 0) return undefined;
    return rawRecord(engine, this.mainAt(i), this.subAt(i));
  }

  /** The newest put's KeyValue (the key must be live). Reads the engine. */
  latest(engine: Engine): KeyValue {
    return readRecord(engine, this.mainAt(this.n - 1), this.subAt(this.n - 1));
  }

  /**
   * Compacts at atRev like etcd's keyIndex.compact: generations whose tombstone is below atRev
   * are dropped; in the first remaining generation the newest revision <= atRev is kept and older
   * ones dropped. `drop` is called for every dropped revision (to delete its record).
   */
  compact(atRev: number, drop: (main: number, sub: number) => void): void {
    const n = this.n;
    let start = 0;
    let end = 0; // index of the current generation's tombstone, or n for the open generation
    for (;;) {
      end = start;
      while (end < n && this.subAt(end) >= 0) end++;
      if (end < n && this.mainAt(end) < atRev) {
        start = end + 1;
        continue;
      }
      break;
    }
    let keepFrom = start;
    for (let i = Math.min(end, n - 1); i > start; i--) {
      if (this.mainAt(i) <= atRev) {
        keepFrom = i;
        break;
      }
    }
    if (keepFrom === 0) return;
    for (let i = 0; i < keepFrom; i++) drop(this.mainAt(i), subOf(this.subAt(i)));
    // n was 1 and keepFrom 1: nothing left
    if (this.more === undefined) return this.setInline(0, 0);
    this.more.splice(HEAD, 2 * keepFrom);
    this.normalize();
  }
}

function subOf(enc: number): number {
  return enc < 0 ? -enc - 1 : enc;
}

function rawRecord(engine: Engine, main: number, subEnc: number): Uint8Array {
  const sub = subOf(subEnc);
  const rec = engine.getRevision(main, sub);
  if (rec === undefined) throw new Error(`mvcc: missing revision record ${main}_${sub}`);
  return rec;
}

function readRecord(engine: Engine, main: number, subEnc: number): KeyValue {
  return decodeRecord(rawRecord(engine, main, subEnc)).kv;
}
