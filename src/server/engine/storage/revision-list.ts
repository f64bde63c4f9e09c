/**
 * The revision records a LevelDB engine holds, in revision order, with each record's size and
 * crc32c: the one piece of per-revision state kept in memory besides the key index (16 bytes a
 * revision, in typed arrays). It lets the engine scan revision records synchronously (history
 * for watchers, hash, exports) by reading each record by key, keeps the stored size exact for the
 * quota, and lets every record read back from disk be verified.
 *
 * Revisions are appended in ascending order (the store writes them that way; boot loads them in
 * key order); removals (compaction, txn rollback) mark an entry dead and the arrays are packed
 * once dead entries outnumber live ones.
 */
const DEAD = 0xffffffff;

export class RevisionList {
  private mains = new Float64Array(1024);
  private subs = new Uint32Array(1024);
  private sizes = new Uint32Array(1024);
  private crcs = new Uint32Array(1024);
  private n = 0;
  private dead = 0;
  private bytes = 0;

  /** Number of live entries. */
  get size(): number {
    return this.n - this.dead;
  }

  /** Sum of the live entries' sizes. */
  get totalBytes(): number {
    return this.bytes;
  }

  clear(): void {
    this.allocate(1024);
    this.n = 0;
    this.dead = 0;
    this.bytes = 0;
  }

  /** Adds (main, sub) with the record's size and crc; replaces them when it is already there. */
  add(main: number, sub: number, size: number, crc: number): void {
    const n = this.n;
    if (n > 0 && !after(main, sub, this.mains[n - 1]!, this.subs[n - 1]!)) {
      const i = this.lowerBound(main, sub);
      if (i < n && this.mains[i] === main && this.subs[i] === sub) {
        if (this.sizes[i] === DEAD) this.dead--;
        else this.bytes -= this.sizes[i]!;
        this.bytes += size;
        this.sizes[i] = size;
        this.crcs[i] = crc;
        return;
      }
      this.insertAt(i, main, sub, size, crc);
      return;
    }
    if (n === this.mains.length) this.grow();
    this.mains[n] = main;
    this.subs[n] = sub;
    this.sizes[n] = size;
    this.crcs[n] = crc;
    this.n = n + 1;
    this.bytes += size;
  }

  /** Removes (main, sub) if present; returns the size it had (0 when absent). */
  remove(main: number, sub: number): number {
    const i = this.lowerBound(main, sub);
    if (i >= this.n || this.mains[i] !== main || this.subs[i] !== sub || this.sizes[i] === DEAD) return 0;
    const size = this.sizes[i]!;
    this.bytes -= size;
    if (i === this.n - 1) {
      this.n--;
      this.trimDeadTail();
      return size;
    }
    this.sizes[i] = DEAD;
    this.dead++;
    if (this.dead > 1024 && this.dead * 2 > this.n) this.pack();
    return size;
  }

  has(main: number, sub: number): boolean {
    return this.indexOf(main, sub) >= 0;
  }

  /** The crc32c recorded for (main, sub), or undefined when it is not held. */
  crcOf(main: number, sub: number): number | undefined {
    const i = this.indexOf(main, sub);
    return i < 0 ? undefined : this.crcs[i];
  }

  private indexOf(main: number, sub: number): number {
    const i = this.lowerBound(main, sub);
    return i < this.n && this.mains[i] === main && this.subs[i] === sub && this.sizes[i] !== DEAD ? i : -1;
  }

  /**
   * The live entries with (fromMain, fromSub) <= (main, sub) < (toMain, toSub), as two copied
   * arrays (the caller may change the list while it walks them).
   */
  slice(fromMain: number, fromSub: number, toMain: number, toSub: number): { mains: Float64Array; subs: Uint32Array } {
    const a = this.lowerBound(fromMain, fromSub);
    const b = this.lowerBound(toMain, toSub);
    if (b <= a) return { mains: new Float64Array(0), subs: new Uint32Array(0) };
    let live = 0;
    for (let i = a; i < b; i++) if (this.sizes[i] !== DEAD) live++;
    const mains = new Float64Array(live);
    const subs = new Uint32Array(live);
    let j = 0;
    for (let i = a; i < b; i++) {
      if (this.sizes[i] === DEAD) continue;
      mains[j] = this.mains[i]!;
      subs[j] = this.subs[i]!;
      j++;
    }
    return { mains, subs };
  }

  /** Main revision of the newest live entry, 0 when empty. */
  get lastMain(): number {
    return this.n === 0 ? 0 : this.mains[this.n - 1]!;
  }

  /** The live entries as bytes (index images): count, then (main f64, sub, size, crc u32) LE each. */
  toImage(): Buffer {
    if (this.dead > 0) this.pack();
    const n = this.n;
    const buf = Buffer.allocUnsafe(4 + 20 * n);
    buf.writeUInt32LE(n, 0);
    for (let i = 0, p = 4; i < n; i++, p += 20) {
      buf.writeDoubleLE(this.mains[i]!, p);
      buf.writeUInt32LE(this.subs[i]!, p + 8);
      buf.writeUInt32LE(this.sizes[i]!, p + 12);
      buf.writeUInt32LE(this.crcs[i]!, p + 16);
    }
    return buf;
  }

  /**
   * Replaces the list with what {@link toImage} wrote; throws on malformed or unordered bytes
   * (leaving the list as it was).
   */
  loadImage(buf: Buffer): void {
    const n = buf.length >= 4 ? buf.readUInt32LE(0) : -1;
    if (n < 0 || buf.length !== 4 + 20 * n) throw new Error('revision list image has the wrong size');
    let cap = 1024;
    while (cap < n) cap *= 2;
    // Built aside, so that bad bytes leave the list as it was.
    const mains = new Float64Array(cap);
    const subs = new Uint32Array(cap);
    const sizes = new Uint32Array(cap);
    const crcs = new Uint32Array(cap);
    let bytes = 0;
    for (let i = 0, p = 4; i < n; i++, p += 20) {
      const main = buf.readDoubleLE(p);
      const sub = buf.readUInt32LE(p + 8);
      const size = buf.readUInt32LE(p + 12);
      if (i > 0 && !after(main, sub, mains[i - 1]!, subs[i - 1]!)) throw new Error('revision list image out of order');
      if (size === DEAD) throw new Error('revision list image holds a dead entry');
      mains[i] = main;
      subs[i] = sub;
      sizes[i] = size;
      crcs[i] = buf.readUInt32LE(p + 16);
      bytes += size;
    }
    this.mains = mains;
    this.subs = subs;
    this.sizes = sizes;
    this.crcs = crcs;
    this.n = n;
    this.dead = 0;
    this.bytes = bytes;
  }

  /** Position of (main, sub) in revision order (dead entries included): for density estimates. */
  rank(main: number, sub: number): number {
    return this.lowerBound(main, sub);
  }

  /** First index whose entry is >= (main, sub) (dead entries included). */
  private lowerBound(main: number, sub: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.mains[mid]!;
      if (m < main || (m === main && this.subs[mid]! < sub)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertAt(i: number, main: number, sub: number, size: number, crc: number): void {
    if (this.n === this.mains.length) this.grow();
    this.mains.copyWithin(i + 1, i, this.n);
    this.subs.copyWithin(i + 1, i, this.n);
    this.sizes.copyWithin(i + 1, i, this.n);
    this.crcs.copyWithin(i + 1, i, this.n);
    this.mains[i] = main;
    this.subs[i] = sub;
    this.sizes[i] = size;
    this.crcs[i] = crc;
    this.n++;
    this.bytes += size;
  }

  private trimDeadTail(): void {
    while (this.n > 0 && this.sizes[this.n - 1] === DEAD) {
      this.n--;
      this.dead--;
    }
  }

  private grow(): void {
    const { mains, subs, sizes, crcs, n } = this;
    this.allocate(mains.length * 2);
    this.mains.set(mains.subarray(0, n));
    this.subs.set(subs.subarray(0, n));
    this.sizes.set(sizes.subarray(0, n));
    this.crcs.set(crcs.subarray(0, n));
  }

  /** Fresh, empty arrays of capacity `cap`. */
  private allocate(cap: number): void {
    this.mains = new Float64Array(cap);
    this.subs = new Uint32Array(cap);
    this.sizes = new Uint32Array(cap);
    this.crcs = new Uint32Array(cap);
  }

  private pack(): void {
    let j = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.sizes[i] === DEAD) continue;
      this.mains[j] = this.mains[i]!;
      this.subs[j] = this.subs[i]!;
      this.sizes[j] = this.sizes[i]!;
      this.crcs[j] = this.crcs[i]!;
      j++;
    }
    this.n = j;
    this.dead = 0;
  }
}

function after(main: number, sub: number, m: number, s: number): boolean {
  return main > m || (main === m && sub > s);
}
