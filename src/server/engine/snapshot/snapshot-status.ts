/**
 * `etcdutl snapshot status` (etcd `etcdutl/snapshot/v3_snapshot.go` Status): a CRC-32C over every
 * bucket name, key and value in order, the last revision of the key bucket, the number of keys
 * live at its end, the file's size in pages and its storage version; printed as etcdutl prints
 * them (simple, json, table).
 */
import type { BucketTree } from './etcd-backend';
import type { ValueSource, WriteTree } from '../../../bbolt';

/** A value's bytes (a lazily encoded one is encoded now). */
function bytesOf(v: ValueSource): Buffer {
  if (Buffer.isBuffer(v)) return v;
  const b = Buffer.allocUnsafe(v.length);
  v.copy(b, 0);
  return b;
}
import { decodeKeyValue, parseRevisionBytes } from '../../wire/etcd-records';
import { crc32c } from '../../../encoding/crc32c';
import { EtcdError } from '../../../errors';

export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
  version: string;
}

/** A running CRC-32C (Castagnoli), as Go's hash/crc32 with that table. */
export class Crc32c {
  private c = 0;
  update(b: Uint8Array): void {
    this.c = crc32c(b, this.c);
  }
  digest(): number {
    return this.c >>> 0;
  }
}

export function snapshotStatus(root: Map<string, BucketTree>, sizeBytes: number): SnapshotStatus {
  const h = new Crc32c();
  const names = [...root.keys()].map((n) => Buffer.from(n, 'latin1')).sort(Buffer.compare);
  const live = new Set<string>();
  let revision = 0;
  for (const name of names) {
    h.update(name);
    const b = root.get(name.toString('latin1'))!;
    const isKey = name.toString('latin1') === 'key';
    for (const [k, v] of b.keys) {
      h.update(k);
      h.update(v);
      if (!isKey) continue;
      const r = parseRevisionBytes(k);
      revision = r.main;
      const key = decodeKeyValue(v).key.toString('latin1');
      if (r.tombstone) live.delete(key);
      else live.add(key);
    }
  }
  const sv = root
    .get('meta')
    ?.keys.find(([k]) => k.toString('latin1') === 'storageVersion')?.[1]
    .toString('utf8');
  return { hash: h.digest(), revision, totalKey: live.size, totalSize: sizeBytes, version: sv ?? '' };
}

/** Meta keys that differ between members with the same state (etcd's schema.DefaultIgnores). */
const HASH_IGNORED_META = new Set(['term', 'consistent_index', 'storageVersion']);

/**
 * etcd's backend Hash (Maintenance.Hash): CRC-32C over every bucket name, key and value, leaving
 * out the meta keys that differ between members (applied index, term, storage version).
 */
export function backendHash(root: Map<string, WriteTree>): number {
  const h = new Crc32c();
  const names = [...root.keys()].map((n) => Buffer.from(n, 'latin1')).sort(Buffer.compare);
  for (const name of names) {
    h.update(name);
    const isMeta = name.toString('latin1') === 'meta';
    for (const [k, v] of root.get(name.toString('latin1'))!.keys) {
      if (isMeta && HASH_IGNORED_META.has(k.toString('latin1'))) continue;
      h.update(k);
      h.update(bytesOf(v));
    }
  }
  return h.digest();
}

export interface FileHashKV {
  hash: number;
  hashRevision: number;
  /** -1 when the file was never compacted (etcd's compactMainRev). */
  compactRevision: number;
}

/**
 * `etcdutl hashkv FILE [--rev N]` (etcd's kvHasher over a backend file): CRC-32C of "key", then
 * every revision key and value up to the revision, leaving out a tombstone at exactly the
 * compaction revision and, at or below the compaction, what a compaction at the revision would
 * not keep. A revision below the compaction fails with Compacted, above the last with
 * FutureRev; 0 means the last.
 */
export function fileHashKV(root: Map<string, BucketTree>, rev: number): FileHashKV {
  const keys = root.get('key')?.keys ?? [];
  const finished = root.get('meta')?.keys.find(([k]) => k.toString('latin1') === 'finishedCompactRev')?.[1];
  const compactRevision = finished === undefined ? -1 : parseRevisionBytes(finished).main;
  const last = keys.length === 0 ? 0 : parseRevisionBytes(keys[keys.length - 1]![0]).main;
  const current = Math.max(last, compactRevision, 1);
  if (rev > 0 && rev < compactRevision) throw new EtcdError('Compacted');
  if (rev > 0 && rev > current) throw new EtcdError('FutureRev');
  const upTo = rev === 0 ? current : rev;
  // etcd hashes a record at or below the compaction only if a compaction at `upTo` would keep
  // it (kvindex.Keep): the key's last revision up to there, and not a tombstone.
  const latest = new Map<string, number>();
  for (const [k, v] of keys) {
    const main = parseRevisionBytes(k).main;
    if (main > upTo) break;
    latest.set(decodeKeyValue(v).key.toString('latin1'), main);
  }
  const h = new Crc32c();
  h.update(Buffer.from('key', 'latin1'));
  for (const [k, v] of keys) {
    const r = parseRevisionBytes(k);
    if (r.main > upTo) break;
    if (r.main === compactRevision && r.tombstone) continue;
    if (r.main <= compactRevision && latest.size > 0) {
      if (r.tombstone || latest.get(decodeKeyValue(v).key.toString('latin1')) !== r.main) continue;
    }
    h.update(k);
    h.update(v);
  }
  return { hash: h.digest(), hashRevision: upTo, compactRevision };
}

export function formatHashKV(s: FileHashKV, format: string): string {
  const cells = [String(s.hash), String(s.hashRevision), String(s.compactRevision)];
  switch (format) {
    case 'json':
      return `${JSON.stringify(s)}\n`;
    case 'table':
      return table(['hash', 'hash revision', 'compact revision'], [cells]);
    default:
      return `${cells.join(', ')}\n`;
  }
}

/** go-humanize's Bytes: SI units, one decimal below 10. */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const v = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  if (v < 10) return `${v.toFixed(1)} ${units[e]}`;
  // Go's %.0f rounds an exact half to even.
  const r = Math.floor(v);
  const whole = v - r > 0.5 || (v - r === 0.5 && r % 2 === 1) ? r + 1 : r;
  return `${whole} ${units[e]}`;
}

function row(s: SnapshotStatus): string[] {
  return [s.hash.toString(16), String(s.revision), String(s.totalKey), humanBytes(s.totalSize), s.version];
}

/** etcdutl's table (olekukonko/tablewriter: headers upper-case and centred, cells right-aligned). */
function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = `+${w.map((n) => '-'.repeat(n + 2)).join('+')}+`;
  const centre = (t: string, n: number): string => {
    const left = Math.floor((n - t.length) / 2);
    return ' '.repeat(left) + t + ' '.repeat(n - t.length - left);
  };
  const out = [line, `|${header.map((h, i) => ` ${centre(h.toUpperCase(), w[i]!)} `).join('|')}|`, line];
  for (const r of rows) out.push(`|${r.map((c, i) => ` ${c.padStart(w[i]!)} `).join('|')}|`);
  out.push(line);
  return out.join('\n') + '\n';
}

export function formatStatus(s: SnapshotStatus, format: string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize, version: s.version })}\n`;
    case 'table':
      return table(['hash', 'revision', 'total keys', 'total size', 'version'], [row(s)]);
    default:
      return `${row(s).join(', ')}\n`;
  }
}
