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
 */
import { readFileSync } from 'node:fs';
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
}

/** The block at `h`, checksum verified and decompressed. */
function readBlock(file: Buffer, h: Handle, what: string, stats: TableStats): Buffer {
  if (h.offset + h.size + TRAILER > file.length - FOOTER) {
    throw new Error(`${what} block at ${h.offset} (+${h.size}) runs past the end of the file`);
  }
  const type = file[h.offset + h.size]!;
  const expect = file.readUInt32LE(h.offset + h.size + 1);
  const actual = maskedCrc(
    crc32c(file.subarray(h.offset + h.size, h.offset + h.size + 1), crc32c(file.subarray(h.offset, h.offset + h.size))),
  );
  if (expect !== actual) throw new Error(`${what} block at offset ${h.offset} fails its checksum`);
  const raw = file.subarray(h.offset, h.offset + h.size);
  if (type === 0) return raw;
  if (type === 1) {
    stats.snappyBlocks++;
    return snappyUncompress(raw);
  }
  throw new Error(`${what} block at offset ${h.offset} has unknown compression ${type}`);
}

/** The values (block handles) of a block's entries. */
function handlesIn(block: Buffer, what: string): Handle[] {
  if (block.length < 4) throw new Error(`${what} block too short`);
  const restarts = block.readUInt32LE(block.length - 4);
  const end = block.length - 4 * (restarts + 1);
  if (restarts === 0 || end < 0) throw new Error(`${what} block has a bad restart array`);
  const r = new ByteReader(block, 0, end);
  const out: Handle[] = [];
  while (r.pos < end) {
    r.varint(); // shared key bytes
    const nonShared = r.varint();
    const valueLen = r.varint();
    r.pos += nonShared;
    const valueEnd = r.pos + valueLen;
    if (valueEnd > end) throw new Error(`${what} block entry runs past the block`);
    out.push(handleAt(new ByteReader(block, r.pos, valueEnd)));
    r.pos = valueEnd;
  }
  return out;
}

/** Throws a description of what is wrong with one table file's contents. */
export function checkTable(file: Buffer): TableStats {
  const stats: TableStats = { dataBlocks: 0, snappyBlocks: 0 };
  if (file.length < FOOTER) throw new Error(`shorter (${file.length} bytes) than a table footer`);
  const f = file.length - FOOTER;
  if (file.readUInt32LE(file.length - 8) !== MAGIC_LO || file.readUInt32LE(file.length - 4) !== MAGIC_HI) {
    throw new Error('no table magic number at the end (truncated?)');
  }
  const footer = new ByteReader(file, f, file.length - 8);
  const metaindex = handleAt(footer);
  const index = handleAt(footer);
  for (const h of handlesIn(readBlock(file, metaindex, 'metaindex', stats), 'metaindex')) readBlock(file, h, 'meta', stats);
  for (const h of handlesIn(readBlock(file, index, 'index', stats), 'index')) {
    readBlock(file, h, 'data', stats);
    stats.dataBlocks++;
  }
  return stats;
}

/**
 * Throws a description of the first damaged live table in a LevelDB directory: a table the
 * current MANIFEST lists that is missing, of another size than recorded, or fails its checks.
 * Tables the MANIFEST does not list (a compaction's output cut short by a crash) are LevelDB's
 * garbage, deleted at open, and not checked.
 */
export function checkLevelDbTables(dir: string): void {
  const live = liveTables(dir);
  if (live === undefined) return; // LevelDB's own open reports an unreadable MANIFEST
  for (const [number, size] of [...live].sort((a, b) => a[0] - b[0])) {
    const base = String(number).padStart(6, '0');
    let name = `${base}.ldb`;
    let file: Buffer;
    try {
      file = readFileSync(join(dir, name));
    } catch {
      name = `${base}.sst`;
      try {
        file = readFileSync(join(dir, name));
      } catch {
        throw new Error(`LevelDB table ${base}.ldb is missing`);
      }
    }
    try {
      if (file.length !== size) throw new Error(`${file.length} bytes, the MANIFEST records ${size}`);
      checkTable(file);
    } catch (e) {
      throw new Error(`LevelDB table ${name} is damaged: ${(e as Error).message}`);
    }
  }
}
