/**
 * A bucket's contents as plain data: its key/value pairs, sorted by Buffer.compare with no
 * duplicates, and its sub-buckets by name (the latin1 string of the name's bytes, so any byte
 * string round-trips). A key and a sub-bucket may not share a name (bbolt keeps both in one
 * B+tree); keys and names are non-empty.
 */
export interface BucketTree {
  keys: Array<[Buffer, Buffer]>;
  buckets: Map<string, BucketTree>;
}

/**
 * A value as the writer needs it: its length, and a way to copy its bytes into a page. A Buffer
 * is one; so is a value encoded only when its page is written (a large file then never holds
 * all its values at once).
 */
export interface ValueSource {
  readonly length: number;
  copy(target: Buffer, targetStart: number): number;
}

/** What writeBolt takes: a BucketTree whose values may be ValueSources. */
export interface WriteTree {
  keys: Array<[Buffer, ValueSource]>;
  buckets: Map<string, WriteTree>;
}

export interface WriteOptions {
  /** Page size in bytes, a power of two from 1024 to 65536. Default 4096. */
  pageSize?: number;
  /**
   * Transaction id of the newer meta page (>= 1; default 1). It goes to page txid % 2 and
   * txid - 1 to the other page, as after a normal bbolt commit; both describe the same tree.
   */
  txid?: number;
  /**
   * How full pages are packed when a node is split, as bbolt's Bucket.FillPercent (clamped to
   * [0.1, 1.0]). Default 1.0: a bulk load packs pages full, like etcd's sequential puts (0.9).
   */
  fillPercent?: number;
  /** Write small leaf-only buckets inline in their parent's leaf, as bbolt does. Default true. */
  inlineBuckets?: boolean;
  /**
   * true (default): write an empty freelist page, as bbolt's init and every synced commit do, so
   * any bbolt (and the old boltdb) opens the file. false: no freelist page and the meta's freelist
   * is 0xFFFFFFFFFFFFFFFF, as etcd's bbolt (NoFreelistSync) leaves it; readers rebuild it.
   */
  syncFreelist?: boolean;
}

/** What readBoltInfo reports about a file besides its contents. */
export interface BoltInfo {
  pageSize: number;
  txid: number;
  /** Root bucket's root page. */
  root: number;
  /** Freelist page, or null when the file has none synced. */
  freelist: number | null;
  /** Page ids on the freelist (empty when none is synced). */
  freePages: number[];
  /** High water mark: pages in use; the file is at least pgid * pageSize bytes. */
  pgid: number;
  /** Whether each meta page is valid; a reader falls back to the other one. */
  metaValid: [boolean, boolean];
}
