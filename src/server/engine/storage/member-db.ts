/**
 * Opens a member's data dir and reads back everything it holds. One LevelDB database under
 * `<data-dir>/member/leveldb` holds the Raft log, hard state, snapshot metadata, the applied
 * index and the MVCC keys (layout in keys.ts).
 *
 * A data dir that is not ours (a real etcd's `member/wal`, a LevelDB without our format marker)
 * or that LevelDB reports as corrupt is a clear error at open, never a silently empty store.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Level } from 'level';
import type { Entry, HardState } from '../../../raft';
import {
  APPLIED_INDEX_KEY,
  BULK_NEXTV_BYTES,
  decodeIndex,
  ENTRY_END,
  ENTRY_PREFIX,
  FORMAT_KEY,
  FORMAT_VALUE,
  FORMAT_VALUE_V1,
  FORMAT_VALUE_V2,
  RUN_END,
  RUN_PREFIX,
  HARD_STATE_KEY,
  HEADER_END,
  HEADER_PREFIX,
  MEMBER_KEY,
  MEMBERS_KEY,
  MVCC_END,
  MVCC_PREFIX,
  MVCC_REV_END,
  MVCC_REV_PREFIX,
  PARTIAL_APPLY_KEY,
  SNAPSHOT_KEY,
} from './keys';
import type { BackgroundCheck } from './background-check';
import { headerValue, type LevelEngine } from './level-engine';
import { IndexLoader } from '../../../mvcc';
import { parseRevKey, revKey } from '../../../mvcc/codec';
import { loadIndexImage, type LoadedImage } from './index-image-store';
import { checkLevelDbLogs } from './leveldb-log-check';
import { syncDir } from './sync-dir';
import { checkLevelDbTables } from './leveldb-table-check';
import { decodeHardState, decodeSnapshotMeta, type SnapshotMeta } from './entry-codec';
import { LogLoader, type StoredRun } from './log-runs';

/** The file marking `<data-dir>/member` as etcd-ts's, beside the LevelDB directory. */
export const MARKER_FILE = 'etcd-ts';

export class DataDirError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirError';
  }
}

export type Db = Level<string, Buffer>;

/** What a data dir held at boot. `fresh` is true when the dir had no database yet. */
export interface BootState {
  fresh: boolean;
  member?: MemberRecord;
  hardState?: HardState;
  snapshot?: SnapshotMeta;
  entries: Entry[];
  /** The keys of the Raft log on disk (runs), even those below the snapshot. */
  logRuns: StoredRun[];
  appliedIndex: number;
  members?: string;
  /** The value blocks the start-up check left for the background (background-check.ts). */
  deferred: BackgroundCheck;
  /** Milliseconds spent checking the files, opening LevelDB and reading the boot state. */
  timings: { check: number; open: number; read: number };
}

export interface MemberRecord {
  name: string;
  memberId: string;
  clusterId: string;
  /** The voters this member bootstraps Raft with (a new cluster), until its log holds them. */
  bootstrapPeers?: string[];
}

function checkNotForeign(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  if (!statSync(dataDir).isDirectory()) {
    throw new DataDirError(`data dir ${JSON.stringify(dataDir)} exists and is not a directory`);
  }
  const memberDir = join(dataDir, 'member');
  if (!existsSync(memberDir)) {
    // `fixtures` holds the auto-TLS certificates, made before the member's first start.
    const stray = readdirSync(dataDir).filter((f) => !f.startsWith('.') && f !== 'fixtures');
    if (stray.length > 0) {
      throw new DataDirError(
        `data dir ${JSON.stringify(dataDir)} is not empty and holds no etcd-ts member (found: ${stray.slice(0, 5).join(', ')})`,
      );
    }
    return;
  }
  if (existsSync(join(memberDir, 'wal')) || existsSync(join(memberDir, 'snap'))) {
    throw new DataDirError(
      `data dir ${JSON.stringify(dataDir)} holds a data directory written by etcd (member/wal, member/snap); etcd-ts cannot read it`,
    );
  }
}

// The write buffer (LevelDB's memtable, and so the size of each level-0 file) is held in memory,
// and a compaction maps every table it reads: the resident pages of its inputs count in RSS until
// it ends. 16 MB memtables and LevelDB's default 2 MB tables keep both smaller than 32 MB / 8 MB
// did (peak RSS of a 1,000,000-key load about 580 -> 543 MB, check perf m about 277 -> 259 MB)
// with the same load rate; 8 MB memtables cost 7% of it. See README "Benchmarks".
const OPEN_OPTIONS = { errorIfExists: false, writeBufferSize: 16 * 1024 * 1024, maxFileSize: 2 * 1024 * 1024, cacheSize: 32 * 1024 * 1024 };

/**
 * Creates a new member database atomically: built beside its place (`leveldb.new`, with the format
 * key), then renamed into place and the rename synced. A kill during a first start leaves either
 * no database (the next start begins again) or a whole one, never a half-created LevelDB dir.
 */
async function createDatabase(location: string): Promise<void> {
  const tmp = `${location}.new`;
  rmSync(tmp, { recursive: true, force: true });
  const db = new Level<string, Buffer>(tmp, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open({ ...OPEN_OPTIONS, createIfMissing: true } as never);
  try {
    await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE), { sync: true });
  } finally {
    await db.close();
  }
  renameSync(tmp, location);
  syncDir(dirname(location));
}

const NO_TIMINGS = { check: 0, open: 0, read: 0 };

export async function openMemberDb(dataDir: string): Promise<{ db: Db; boot: BootState }> {
  checkNotForeign(dataDir);
  const location = join(dataDir, 'member', 'leveldb');
  const existed = existsSync(location);
  const deferred: BackgroundCheck = { dir: location, tables: [] };
  // The marker sits outside LevelDB so that a foreign database is refused before LevelDB
  // opens it (opening replays LevelDB's log, which would already change the dir).
  const markerFile = join(dataDir, 'member', MARKER_FILE);
  if (existed && !existsSync(markerFile)) {
    throw new DataDirError(`data dir ${JSON.stringify(dataDir)} holds a LevelDB database that is not etcd-ts's (no member/${MARKER_FILE})`);
  }
  mkdirSync(join(dataDir, 'member'), { recursive: true, mode: 0o700 });
  if (!existed) {
    writeFileSync(markerFile, FORMAT_VALUE + '\n', { mode: 0o600 });
    await createDatabase(location);
  }
  const t0 = performance.now();
  if (existed) {
    try {
      checkLevelDbLogs(location);
      deferred.tables = checkLevelDbTables(location, [
        { start: MVCC_REV_PREFIX, end: MVCC_REV_END },
        { start: HEADER_PREFIX, end: HEADER_END },
      ]);
    } catch (e) {
      throw new DataDirError(`data dir ${JSON.stringify(dataDir)} is corrupt: ${(e as Error).message}`);
    }
  }
  const t1 = performance.now();
  const db: Db = new Level<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  try {
    await db.open({ ...OPEN_OPTIONS, createIfMissing: false } as never);
  } catch (e) {
    const cause = (e as { cause?: Error }).cause?.message ?? (e as Error).message;
    throw new DataDirError(`cannot open data dir ${JSON.stringify(dataDir)}: ${cause}`);
  }
  try {
    const t2 = performance.now();
    const boot = await readBootState(db, existed, dataDir, deferred);
    boot.timings = { check: Math.round(t1 - t0), open: Math.round(t2 - t1), read: Math.round(performance.now() - t2) };
    return { db, boot };
  } catch (e) {
    await db.close().catch(() => undefined);
    if (e instanceof DataDirError) throw e;
    throw new DataDirError(
      `data dir ${JSON.stringify(dataDir)} is corrupt: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`,
    );
  }
}

async function readBootState(db: Db, existed: boolean, dataDir: string, deferred: BackgroundCheck): Promise<BootState> {
  const format = await db.get(FORMAT_KEY);
  if (format === undefined) {
    const any = await db.keys({ limit: 1 }).all();
    if (existed && any.length > 0) {
      throw new DataDirError(`data dir ${JSON.stringify(dataDir)} holds a LevelDB database that is not etcd-ts's`);
    }
    await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE), { sync: true });
    return {
      fresh: true,
      entries: [],
      logRuns: [],
      appliedIndex: 0,
      deferred,
      timings: NO_TIMINGS,
    };
  }
  if (format.toString() === FORMAT_VALUE_V1) await addRevisionHeaders(db);
  else if (format.toString() === FORMAT_VALUE_V2) await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE), { sync: true });
  else if (format.toString() !== FORMAT_VALUE) {
    throw new DataDirError(`data dir ${JSON.stringify(dataDir)} has unknown format ${JSON.stringify(format.toString())}`);
  }
  const member = await db.get(MEMBER_KEY);
  const hs = await db.get(HARD_STATE_KEY);
  const snap = await db.get(SNAPSHOT_KEY);
  const applied = await db.get(APPLIED_INDEX_KEY);
  const members = await db.get(MEMBERS_KEY);
  const snapMeta = snap === undefined ? undefined : decodeSnapshotMeta(snap);
  const snapIndex = snapMeta?.index ?? 0;
  // The log: format-2 single entries first (nothing writes them any more), then the runs.
  const loader = new LogLoader();
  for (const range of [
    { gte: ENTRY_PREFIX, lt: ENTRY_END },
    { gte: RUN_PREFIX, lt: RUN_END },
  ]) {
    for await (const [k, v] of db.iterator(range)) loader.add(k, v);
  }
  // Entries at or below the snapshot are covered by it (left over from log compaction).
  const entries = loader.entries.filter((e) => e.index > snapIndex);
  const corrupt = (what: string): DataDirError => new DataDirError(`data dir ${JSON.stringify(dataDir)} is corrupt: ${what}`);
  if (entries.length > 0 && snapIndex > 0 && entries[0]!.index !== snapIndex + 1) {
    throw corrupt(`Raft log starts at index ${entries[0]!.index} after a snapshot at ${snapIndex}`);
  }
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) throw corrupt(`Raft log has a gap at index ${entries[i - 1]!.index}`);
  }
  // Everything is written in whole batches, entries before the hard state that commits them, and
  // applied effects with the entries they come from: a store that lost some of those lost data.
  const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : snapIndex;
  const hardState = hs === undefined ? undefined : decodeHardState(hs);
  const appliedIndex = decodeAppliedIndex(applied);
  if (hardState !== undefined && hardState.commit > lastIndex) {
    throw corrupt(`the hard state commits index ${hardState.commit} but the Raft log ends at ${lastIndex}`);
  }
  if (appliedIndex > lastIndex) throw corrupt(`applied index ${appliedIndex} is beyond the Raft log's last index ${lastIndex}`);
  // A snapshot point is written with the applied effects it covers; Raft replays from it, so
  // entries between the applied index and a snapshot above it would be silently skipped.
  if (snapIndex > appliedIndex) throw corrupt(`the snapshot point ${snapIndex} is above the applied index ${appliedIndex}`);
  const boot: BootState = {
    fresh: member === undefined,
    entries,
    logRuns: loader.runs,
    appliedIndex,
    deferred,
    timings: NO_TIMINGS,
  };
  if (member !== undefined) boot.member = JSON.parse(member.toString('utf8')) as MemberRecord;
  if (hardState !== undefined) boot.hardState = hardState;
  if (snapMeta !== undefined) boot.snapshot = snapMeta;
  if (members !== undefined) boot.members = members.toString('utf8');
  return boot;
}

/**
 * Loads the MVCC engine's state at boot: its non-revision records, then the index and the
 * revision list from the index image at `imagePath` a clean stop left (index-image-store.ts)
 * when it matches `appliedIndex`, else from every revision header (never a value). Header
 * batches are read ahead: LevelDB fetches the next batch (on the thread pool) while this one is
 * indexed.
 */
export async function loadEngine(
  db: Db,
  engine: LevelEngine,
  appliedIndex: number,
  imagePath: string,
): Promise<{ loader: IndexLoader; image: LoadedImage; droppedPartial?: number }> {
  const droppedPartial = await dropPartialApply(db);
  for (const range of [
    { gte: MVCC_PREFIX, lt: MVCC_REV_PREFIX },
    { gte: MVCC_REV_END, lt: MVCC_END },
  ]) {
    for await (const [k, v] of db.iterator(range)) engine.loadRecord(k.slice(MVCC_PREFIX.length), v);
  }
  const image = loadIndexImage(imagePath, engine, appliedIndex);
  if (image.loader !== undefined) return { loader: image.loader, image, droppedPartial };
  const loader = new IndexLoader();
  const it = db.values({ gte: HEADER_PREFIX, lt: HEADER_END, highWaterMarkBytes: BULK_NEXTV_BYTES });
  try {
    let next = it.nextv(8192);
    for (;;) {
      const batch = await next;
      if (batch.length === 0) break;
      next = it.nextv(8192);
      for (const v of batch) engine.loadHeader(v, loader);
    }
    await next.catch(() => undefined);
  } finally {
    await it.close();
  }
  return { loader, image, droppedPartial };
}

/**
 * Deletes what a large apply wrote ahead of its batch when the process died before that batch
 * landed (level-engine.ts splitLargeBatch): every revision record and header from the marked
 * revision up. The stored applied index does not cover the entries that wrote them, so Raft
 * replays those entries, and they write the same records again. Returns the number of LevelDB
 * keys deleted, or undefined when the store is not marked.
 */
export async function dropPartialApply(db: Db): Promise<number | undefined> {
  const mark = await db.get(PARTIAL_APPLY_KEY);
  if (mark === undefined) return undefined;
  const from = revKey(decodeIndex(mark), 0);
  let deleted = 0;
  for (const [gte, lt] of [
    [MVCC_PREFIX + from, MVCC_REV_END],
    [HEADER_PREFIX + from, HEADER_END],
  ] as const) {
    let ops: { type: 'del'; key: string }[] = [];
    for await (const key of db.keys({ gte, lt })) {
      ops.push({ type: 'del', key });
      if (ops.length >= 10000) {
        await db.batch(ops, { sync: false });
        deleted += ops.length;
        ops = [];
      }
    }
    await db.batch(ops, { sync: false });
    deleted += ops.length;
  }
  await db.del(PARTIAL_APPLY_KEY, { sync: true });
  return deleted;
}

/**
 * Upgrades a data dir of format 1 (no revision headers) in place: writes every revision
 * record's header, then the new format marker, in synced batches. Runs once; a crash midway
 * leaves format 1 and the next start does it again.
 */
async function addRevisionHeaders(db: Db): Promise<void> {
  let ops: { type: 'put'; key: string; value: Buffer }[] = [];
  for await (const [k, v] of db.iterator({ gte: MVCC_REV_PREFIX, lt: MVCC_REV_END })) {
    const ek = k.slice(MVCC_PREFIX.length);
    const { main, sub } = parseRevKey(ek);
    ops.push({ type: 'put', key: HEADER_PREFIX + ek, value: headerValue(main, sub, v) });
    if (ops.length >= 10000) {
      await db.batch(ops, { sync: false });
      ops = [];
    }
  }
  if (ops.length > 0) await db.batch(ops, { sync: false });
  await db.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE), { sync: true });
}

function decodeAppliedIndex(v: Buffer | undefined): number {
  return v === undefined ? 0 : decodeIndex(v);
}

/** The applied index as stored (what the next boot will read). */
export async function storedAppliedIndex(db: Db): Promise<number> {
  return decodeAppliedIndex(await db.get(APPLIED_INDEX_KEY));
}
