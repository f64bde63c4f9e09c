/**
 * A log file rotated as etcd's (lumberjack's): before a write would take the file past maxsize it
 * is renamed to `<name>-<2006-01-02T15-04-05.000><ext>` (UTC unless localtime) beside it and a new
 * file is started; an existing file is appended to at start unless it is already full. After each
 * rotation, in the background and one pass at a time, backups past maxbackups (oldest first) or
 * older than maxage days are removed, and with compress the rest are gzipped to `<backup>.gz`.
 * Lines are written synchronously, so the size is exact and nothing is lost on exit. The
 * directory is created if missing, as lumberjack creates it.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { unlink as unlinkAsync } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { LogRotation } from './config/log-rotation';

/** lumberjack's backupTimeFormat, 2006-01-02T15-04-05.000. */
export function backupTimestamp(t: Date, localTime: boolean): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const [y, mo, d, h, mi, s, ms] = localTime
    ? [t.getFullYear(), t.getMonth() + 1, t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds(), t.getMilliseconds()]
    : [
        t.getUTCFullYear(),
        t.getUTCMonth() + 1,
        t.getUTCDate(),
        t.getUTCHours(),
        t.getUTCMinutes(),
        t.getUTCSeconds(),
        t.getUTCMilliseconds(),
      ];
  return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}-${p(mi)}-${p(s)}.${p(ms, 3)}`;
}

/** The time a backup name holds (parsed as UTC, as lumberjack parses it), or undefined. */
function backupTime(ts: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})$/.exec(ts);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

/** Go's filepath.Ext of a base name: from its last dot (a dotfile's whole name). */
function goExt(base: string): string {
  const i = base.lastIndexOf('.');
  return i < 0 ? '' : base.slice(i);
}

interface Backup {
  name: string;
  time: number;
  compressed: boolean;
}

const DAY_MS = 24 * 3600 * 1000;

export class RotatingLogFile {
  private fd: number;
  private size: number;
  private milling: Promise<void> = Promise.resolve();
  private readonly dir: string;
  private readonly prefix: string;
  private readonly ext: string;

  constructor(
    private readonly r: LogRotation,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dir = dirname(r.path);
    const base = basename(r.path);
    this.ext = goExt(base);
    this.prefix = `${base.slice(0, base.length - this.ext.length)}-`;
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    this.fd = openSync(r.path, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
    if (this.size >= r.maxBytes) this.rotate();
  }

  /** Resolves when the background removal and compression started so far are done. */
  settled(): Promise<void> {
    return this.milling;
  }

  write(line: string): void {
    const buf = Buffer.from(line);
    if (buf.length > this.r.maxBytes) {
      process.stderr.write(`write error: write length ${buf.length} exceeds maximum file size ${this.r.maxBytes}\n`);
      return;
    }
    if (this.size + buf.length > this.r.maxBytes) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    const mode = fstatSync(this.fd).mode & 0o777;
    closeSync(this.fd);
    const backup = join(this.dir, `${this.prefix}${backupTimestamp(this.now(), this.r.localTime)}${this.ext}`);
    renameSync(this.r.path, backup);
    this.fd = openSync(this.r.path, 'a', mode);
    this.size = 0;
    this.milling = this.milling
      .then(() => this.mill())
      .catch((e: Error) => {
        process.stderr.write(`log rotation: ${e.message}\n`);
      });
  }

  private backups(): Backup[] {
    const out: Backup[] = [];
    const current = basename(this.r.path);
    for (const name of readdirSync(this.dir)) {
      if (name === current || !name.startsWith(this.prefix)) continue;
      const compressed = name.endsWith(`${this.ext}.gz`);
      const end = compressed ? name.length - this.ext.length - 3 : name.length - this.ext.length;
      if (!compressed && !name.endsWith(this.ext)) continue;
      const time = backupTime(name.slice(this.prefix.length, end));
      if (time !== undefined && statSync(join(this.dir, name)).isFile()) out.push({ name, time, compressed });
    }
    return out.sort((a, b) => b.time - a.time);
  }

  /** lumberjack's millRunOnce: drop the backups past maxbackups or maxage, compress the rest. */
  private async mill(): Promise<void> {
    let keep = this.backups();
    const remove: Backup[] = [];
    if (this.r.maxBackups > 0) {
      const seen = new Set<string>();
      const kept: Backup[] = [];
      for (const b of keep) {
        const plain = b.compressed ? b.name.slice(0, -3) : b.name;
        if (!seen.has(plain)) seen.add(plain);
        if (seen.size > this.r.maxBackups) remove.push(b);
        else kept.push(b);
      }
      keep = kept;
    }
    if (this.r.maxAgeDays > 0) {
      const cutoff = this.now().getTime() - this.r.maxAgeDays * DAY_MS;
      remove.push(...keep.filter((b) => b.time < cutoff));
      keep = keep.filter((b) => b.time >= cutoff);
    }
    for (const b of remove) await unlinkAsync(join(this.dir, b.name));
    if (!this.r.compress) return;
    for (const b of keep.filter((x) => !x.compressed)) {
      const from = join(this.dir, b.name);
      await pipeline(createReadStream(from), createGzip(), createWriteStream(`${from}.gz`, { mode: 0o600 }));
      await unlinkAsync(from);
    }
  }
}
