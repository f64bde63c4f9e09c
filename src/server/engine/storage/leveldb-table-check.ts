/**
 * Verifies LevelDB's table files (`*.ldb`, `*.sst`) before LevelDB opens the database. Opening
 * replays LevelDB's log into a new table and a new MANIFEST before any table is read, so a
 * damaged table found only afterwards leaves the data dir changed; this check finds it first, so
 * the dir is refused untouched. Only the tables the current MANIFEST lists are checked.
 *
 * Format (leveldb/doc/table_format.md): blocks, each followed by a 5-byte trailer (compression
 * type: 0 none, 1 snappy; masked crc32c of the block and the type byte); a 48-byte footer holds
 * the metaindex and index block handles (varint64 offset, varint64 size) and the magic number.
 * The index block maps keys to the data blocks' handles; the metaindex block to the filter
 * block's. Every block is checked against its checksum, and every handle against the file.
 *
 * So that start-up time does not grow with the data stored, data blocks whose keys all lie in a
 * deferred key range (the revision records `mvcc/r/` and their headers `mvcc-h/`) are not read
 * before open: they are returned, and {@link verifyDeferred} checks them in the background once
 * the member serves (a damaged one stops the member). Every header read at boot and every record
 * read later carries its own crc32c (level-engine.ts), so damage there is refused when read.
 * Everything else (the Raft log, hard state, leases, auth, the footer, index and filter blocks
 * of every table) is checked before open, so a damaged store is still refused before it serves.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, maskedCrc } from '../../../encoding/crc32c';
import { snappyUncompress } from './snappy';
import { liveTables } from './leveldb-manifest';
import { ByteReader } from './leveldb-format';

const FOOTER = 48;
const TRAILER = 5;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;

interface Handle {
  offset: number;
  size: number;
}

function handleAt(r: ByteReader): Handle {
  return { offset: r.varint(), size: r.varint() };
}

export interface TableStats {
  dataBlocks: number;
  /** Blocks (of any kind) stored snappy-compressed. */
  snappyBlocks: number;
  /** Data blocks left for verifyDeferred (not counted in dataBlocks). */
  deferred: Handle[];
}

/** User keys [start, end) whose data blocks may be verified after open. */
export interface DeferRange {
  start: string;
  end: string;
}

/** A table's data blocks left for the background check. */
export interface DeferredBlocks {
  file: string;
  blocks: Handle[];
}

/** A table file's bytes: a whole buffer, or positioned reads of an open file. */
export interface TableBytes {
  readonly length: number;
  slice(start: number, end: number): Buffer;
}

function bufferBytes(b: Buffer): TableBytes {
  return { length: b.length, slice: (s, e) => b.subarray(s, e) };
}

/** Positioned reads of an open file (only the blocks read are loaded). */
function fileBytes(fd: number, length: number): TableBytes {
  return {
    length,
    slice: (s, e) => {
      const out = Buffer.allocUnsafe(e - s);
      const n = readSync(fd, out, 0, out.length, s);
      if (n !== out.length) throw new Error(`short read at offset ${s}`);
      return out;
    },
  };
}

/** The block at `h`, checksum verified and decompressed. */
function readBlock(file: TableBytes, h: Handle, what: string, stats: TableStats): Buffer {
  checkHandle(file, h, what);
  const whole = file.slice(h.offset, h.offset + h.size + TRAILER);
  const type = whole[h.size]!;
  const expect = whole.readUInt32LE(h.size + 1);
  const actual = maskedCrc(crc32c(whole.subarray(h.size, h.size + 1), crc32c(whole.subarray(0, h.size))));
  if (expect !== actual) throw new Error(`${what} block at offset ${h.offset} fails its checksum`);
  const raw = whole.subarray(0, h.size);
  if (type === 0) return raw;
  if (type === 1) {
    stats.snappyBlocks++;
    return snappyUncompress(raw);
  }
  throw new Error(`${what} block at offset ${h.offset} has unknown compression ${type}`);
}

/** The entries of a block whose values are block handles, with their (internal) keys. */
function handlesIn(block: Buffer, what: string): { key: Buffer; handle: Handle }[] {
  if (block.length < 4) throw new Error(`${what} block too short`);
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 * (restarts + 1);
  if (restarts === 0 || end < 0) throw new Error(`${what} block has a bad restart array`);
  const r = new ByteReader(block, 0, end);
  const out: { key: Buffer; handle: Handle }[] = [];
  let last = Buffer.alloc(0);
  while (r.pos < end) {
    const shared = r.varint();
    const nonShared = r.varint();
    const valueLen = r.varint();
    if (shared > last.length || r.pos + nonShared > end) throw new Error(`${what} block has a bad key`);
    const key = Buffer.concat([last.subarray(0, shared), block.subarray(r.pos, r.pos + nonShared)]);
    r.pos += nonShared;
    const valueEnd = r.pos + valueLen;
    if (valueEnd > end) throw new Error(`${what} block entry runs past the block`);
    out.push({ key, handle: handleAt(new ByteReader(block, r.pos, valueEnd)) });
    r.pos = valueEnd;
    last = key;
  }
  return out;
}

/** The user key of an internal key (LevelDB appends 8 bytes of sequence and type). */
function userKey(internal: Buffer): string {
  return internal.subarray(0, Math.max(0, internal.length - 8)).toString('latin1');
}

/**
 * Throws a description of what is wrong with one table file's contents. Data blocks whose keys
 * all fall in `defer` (block i holds keys above index key i-1, up to index key i) are listed in
 * `deferred` instead of read.
 */
export function checkTable(bytes: Buffer | TableBytes, defer: readonly DeferRange[] = []): TableStats {
  const file = Buffer.isBuffer(bytes) ? bufferBytes(bytes) : bytes;
  const stats: TableStats = { dataBlocks: 0, snappyBlocks: 0, deferred: [] };
  if (file.length < FOOTER) throw new Error(`shorter (${file.length} bytes) than a table footer`);
  const tail = file.slice(file.length - FOOTER, file.length);
  if (tail.readUInt32LE(FOOTER - 8) !== MAGIC_LO || tail.readUInt32LE(FOOTER - 4) !== MAGIC_HI) {
    throw new Error('no table magic number at the end (truncated?)');
  }
  const footer = new ByteReader(tail, 0, FOOTER - 8);
  const metaindex = handleAt(footer);
  const index = handleAt(footer);
  for (const { handle } of handlesIn(readBlock(file, metaindex, 'metaindex', stats), 'metaindex')) readBlock(file, handle, 'meta', stats);
  let below: string | undefined;
  for (const { key, handle } of handlesIn(readBlock(file, index, 'index', stats), 'index')) {
    const upTo = userKey(key);
    const lo = below;
    if (lo !== undefined && defer.some((d) => lo >= d.start && upTo < d.end)) {
      checkHandle(file, handle, 'data');
      stats.deferred.push(handle);
    } else {
      readBlock(file, handle, 'data', stats);
      stats.dataBlocks++;
    }
    below = upTo;
  }
  return stats;
}

function checkHandle(file: TableBytes, h: Handle, what: string): void {
  if (h.offset + h.size + TRAILER > file.length - FOOTER) {
    throw new Error(`${what} block at ${h.offset} (+${h.size}) runs past the end of the file`);
  }
}

/**
 * Checks the data blocks {@link checkLevelDbTables} deferred, one table at a time, waiting for
 * `pause()` between tables (the caller yields to its event loop there). A table LevelDB has
 * deleted since (compacted into new tables) is skipped. Throws on the first damaged block.
 */
export async function verifyDeferred(dir: string, tables: DeferredBlocks[], pause: () => Promise<void>): Promise<number> {
  let blocks = 0;
  const stats: TableStats = { dataBlocks: 0, snappyBlocks: 0, deferred: [] };
  for (const t of tables) {
    let fd: number;
    try {
      fd = openSync(join(dir, t.file), 'r');
    } catch {
      continue;
    }
    try {
      const file = fileBytes(fd, fstatSync(fd).size);
      for (const h of t.blocks) {
        readBlock(file, h, 'data', stats);
        blocks++;
      }
    } catch (e) {
      throw new Error(`LevelDB table ${t.file} is damaged: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
    await pause();
  }
  return blocks;
}

/**
 * Throws a description of the first damaged live table in a LevelDB directory: a table the
 * current MANIFEST lists that is missing, of another size than recorded, or fails its checks.
 * Tables the MANIFEST does not list (a compaction's output cut short by a crash) are LevelDB's
 * garbage, deleted at open, and not checked.
 */
export function checkLevelDbTables(dir: string, defer: readonly DeferRange[] = []): DeferredBlocks[] {
  const deferred: DeferredBlocks[] = [];
  const live = liveTables(dir);
  if (live === undefined) return deferred; // LevelDB's own open reports an unreadable MANIFEST
  for (const [number, size] of [...live].sort((a, b) => a[0] - b[0])) {
    const base = String(number).padStart(6, '0');
    let name = `${base}.ldb`;
    let fd: number;
    try {
      fd = openSync(join(dir, name), 'r');
    } catch {
      name = `${base}.sst`;
      try {
        fd = openSync(join(dir, name), 'r');
      } catch {
        throw new Error(`LevelDB table ${base}.ldb is missing`);
      }
    }
    try {
      const length = fstatSync(fd).size;
      if (length !== size) throw new Error(`${length} bytes, the MANIFEST records ${size}`);
      const stats = checkTable(fileBytes(fd, length), defer);
      if (stats.deferred.length > 0) deferred.push({ file: name, blocks: stats.deferred });
    } catch (e) {
      throw new Error(`LevelDB table ${name} is damaged: ${(e as Error).message}`);
    } finally {
      closeSync(fd);
    }
  }
  return deferred;
}
