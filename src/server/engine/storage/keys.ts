/**
 * The key layout of the member's LevelDB database. Everything a member persists lives in one
 * LevelDB instance so that one synced batch covers the Raft log, the hard state and the applied
 * state machine changes.
 *
 *   meta/format            format marker ("etcd-ts/3"); absent means "not ours"
 *   meta/member            this member's identity (JSON: name, member id, cluster id)
 *   raft/hs                Raft hard state
 *   raft/snap              Raft snapshot metadata (index, term, conf state)
 *   raft/r/<16 hex>        a run of Raft log entries from that index on (log-runs.ts)
 *   raft/e/<16 hex>        format 2: one Raft log entry (still read; deleted as the log moves on)
 *   apply/index            the consistent index: last Raft index applied to the state machine
 *   cluster/members        the membership as applied (JSON)
 *   mvcc/<engine key>      the MVCC engine's keys (see src/mvcc/engine.ts)
 *   mvcc-h/<engine key>    for each revision record `mvcc/r/...`: its revision, size, crc32c and
 *                          header (the record without its value), so boot rebuilds the key
 *                          index without reading values (level-engine.ts headerValue)
 *   apply/partial          present while the revision records of a large apply are written ahead
 *                          of its batch (level-engine.ts splitLargeBatch): the first revision they
 *                          hold (u64); boot deletes the records from there up (member-db.ts)
 */
export const FORMAT_KEY = 'meta/format';
export const FORMAT_VALUE = 'etcd-ts/3';
/** The format with one key per Raft entry: read as it is, the marker moved on at boot (member-db.ts). */
export const FORMAT_VALUE_V2 = 'etcd-ts/2';
/** The format before revision headers: upgraded in place at boot (member-db.ts). */
export const FORMAT_VALUE_V1 = 'etcd-ts/1';
export const MEMBER_KEY = 'meta/member';
export const HARD_STATE_KEY = 'raft/hs';
export const SNAPSHOT_KEY = 'raft/snap';
export const ENTRY_PREFIX = 'raft/e/';
export const ENTRY_END = 'raft/e0';
export const RUN_PREFIX = 'raft/r/';
export const RUN_END = 'raft/r0';
export const APPLIED_INDEX_KEY = 'apply/index';
export const PARTIAL_APPLY_KEY = 'apply/partial';
export const MEMBERS_KEY = 'cluster/members';
export const MVCC_PREFIX = 'mvcc/';
export const MVCC_END = 'mvcc0';
/** The revision records inside the mvcc/ space. */
export const MVCC_REV_PREFIX = 'mvcc/r/';
export const MVCC_REV_END = 'mvcc/r0';
export const HEADER_PREFIX = 'mvcc-h/';
export const HEADER_END = 'mvcc-h0';

/**
 * highWaterMarkBytes for iterators that read many entries with nextv: classic-level ends a batch
 * once its entries pass this many bytes, and its default of 16 KiB made reading 1,000,000 revision
 * headers (or 8,192 records of 256 B) hundreds of thread-pool round trips each.
 */
export const BULK_NEXTV_BYTES = 4 * 1024 * 1024;

/** A format-2 entry's key. */
export function entryKey(index: number): string {
  return ENTRY_PREFIX + index.toString(16).padStart(16, '0');
}

/** The key of a run of entries starting at `first`. */
export function runKey(first: number): string {
  return RUN_PREFIX + first.toString(16).padStart(16, '0');
}

/** An index or revision as stored (u64 big-endian): the applied index, the partial-apply mark. */
export function encodeIndex(i: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(i));
  return b;
}

export function decodeIndex(v: Buffer): number {
  return Number(v.readBigUInt64BE(0));
}
