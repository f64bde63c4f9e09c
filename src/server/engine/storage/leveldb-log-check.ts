/**
 * Verifies LevelDB's write-ahead log files (`*.log`) before LevelDB opens them. LevelDB (as
 * classic-level builds it, without paranoid checks) silently skips records whose checksum fails,
 * which would drop acknowledged writes from the middle of the log. A bad record is tolerated only
 * as the torn tail of a crash: nothing valid may follow it, and a complete final record must end
 * in never-written (zero) bytes.
 *
 * Format (leveldb/doc/log_format.md): 32 KiB blocks of records, each with a 7-byte header
 * (masked crc32c of type+data, uint32 LE; length, uint16 LE; type) then `length` bytes; fewer
 * than 7 bytes left in a block are zero padding.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c, maskedCrc } from '../../../encoding/crc32c';

const BLOCK = 32 * 1024;
const HEADER = 7;

/** The offset of the first bad record that is followed by a valid one, or -1 if the file is sound. */
export function findLogCorruption(buf: Buffer): number {
  let pos = 0;
  let badAt = -1;
  while (pos < buf.length) {
    const left = BLOCK - (pos % BLOCK);
    if (left < HEADER) {
      pos += left;
      continue;
    }
    if (pos + HEADER > buf.length) break; // torn header at the end
    const len = buf.readUInt16LE(pos + 4);
    const type = buf[pos + 6]!;
    const end = pos + HEADER + len;
    if (type === 0 && len === 0) {
      pos += left; // zero-filled rest of a block
      continue;
    }
    // The writer never lets a record cross its block: such a length is damage, not a torn write.
    if (HEADER + len > left || type > 4) return pos;
    if (end > buf.length) {
      if (badAt < 0) badAt = pos; // a torn final write
      break;
    }
    const expect = buf.readUInt32LE(pos);
    const actual = maskedCrc(crc32c(buf.subarray(pos + HEADER, end), crc32c(buf.subarray(pos + 6, pos + 7))));
    if (expect !== actual) {
      // A record torn by a crash ends in bytes never written (zeros); a complete record that
      // fails its checksum was damaged after it was written.
      const tail = buf.subarray(Math.max(pos + HEADER, end - 8), end);
      if (end === buf.length && len > 0 && !tail.every((b) => b === 0)) return pos;
      if (badAt < 0) badAt = pos;
    } else if (badAt >= 0) {
      return badAt; // a valid record after a bad one: not a torn tail
    }
    pos = end;
  }
  return -1;
}

/** Throws a description of the first corrupt `.log` file in a LevelDB directory. */
export function checkLevelDbLogs(dir: string): void {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.log') && /^\d+\.log$/.test(f));
  } catch {
    return;
  }
  for (const f of files) {
    const at = findLogCorruption(readFileSync(join(dir, f)));
    if (at >= 0) throw new Error(`LevelDB log ${f} has a corrupt record at offset ${at} followed by valid records`);
  }
}
