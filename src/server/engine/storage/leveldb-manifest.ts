/**
 * The table files LevelDB's current MANIFEST lists as live, with their sizes. A table not listed
 * (one a crash interrupted while a compaction wrote it) is garbage LevelDB deletes at open; only
 * the listed ones hold data.
 *
 * CURRENT names the MANIFEST, a log-format file (32 KiB blocks of records with 7-byte headers,
 * FULL / FIRST / MIDDLE / LAST fragments) of VersionEdits: tagged fields, among them new files
 * (tag 7: level, number, size, smallest and largest key) and deleted files (tag 6: level, number).
 * Returns undefined when CURRENT or the MANIFEST cannot be read or parsed: LevelDB's own open then
 * reports the problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteReader } from './leveldb-format';

const BLOCK = 32 * 1024;
const HEADER = 7;

function* records(buf: Buffer): Generator<Buffer> {
  let pos = 0;
  let parts: Buffer[] = [];
  while (pos + HEADER <= buf.length) {
    const left = BLOCK - (pos % BLOCK);
    if (left < HEADER) {
      pos += left;
      continue;
    }
    const len = buf.readUInt16LE(pos + 4);
    const type = buf[pos + 6]!;
    if (type === 0 && len === 0) {
      pos += left;
      continue;
    }
    const data = buf.subarray(pos + HEADER, pos + HEADER + len);
    if (data.length < len) return; // torn tail
    pos += HEADER + len;
    if (type === 1) yield data;
    else if (type === 2) parts = [data];
    else if (type === 3) parts.push(data);
    else if (type === 4) {
      parts.push(data);
      yield Buffer.concat(parts);
      parts = [];
    } else throw new Error(`bad record type ${type}`);
  }
}

/** file number -> size in bytes, of the tables the current version holds. */
export function liveTables(dir: string): Map<number, number> | undefined {
  try {
    const current = readFileSync(join(dir, 'CURRENT'), 'latin1');
    const name = current.trim();
    if (!/^MANIFEST-\d+$/.test(name) || !current.endsWith('\n')) return undefined;
    const live = new Map<number, number>();
    for (const rec of records(readFileSync(join(dir, name)))) {
      const f = new ByteReader(rec);
      while (!f.done) {
        const tag = f.varint();
        switch (tag) {
          case 1: // comparator name
            f.skipSlice();
            break;
          case 2: // log number
          case 3: // next file number
          case 4: // last sequence
          case 9: // previous log number
            f.varint();
            break;
          case 5: // compact pointer: level, key
            f.varint();
            f.skipSlice();
            break;
          case 6: // deleted file: level, number
            f.varint();
            live.delete(f.varint());
            break;
          case 7: {
            // new file: level, number, size, smallest, largest
            f.varint();
            const number = f.varint();
            live.set(number, f.varint());
            f.skipSlice();
            f.skipSlice();
            break;
          }
          default:
            return undefined;
        }
      }
    }
    return live;
  } catch {
    return undefined;
  }
}
