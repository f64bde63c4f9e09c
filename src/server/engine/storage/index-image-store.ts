/**
 * Index images beside the member's LevelDB (`member/index-image`). Rebuilding the key index at
 * boot reads every revision header (one LevelDB entry each, ~2 s for 1,000,000 keys); a clean
 * stop instead writes the index and the revision list to one file, and the next boot loads it.
 *
 * An image is used only when it describes exactly what is stored: it is written after the last
 * batch landed, never after a failure or while a compaction is unfinished, and it carries the
 * applied index it was taken at. Every change to the MVCC records lands in a batch with a new
 * applied index (compactions finish before an image is taken), so an image whose applied index
 * differs from the stored one is stale and is ignored; the boot that reads an image deletes it
 * anyway. A missing, stale or damaged image (crc32c) only means the slow path: the headers.
 *
 *   file = "etcd-ts index image\n", uint32 BE meta length, meta (JSON), index image, revision list
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decodeIndexImage, IndexLoader, type MvccStore } from '../../../mvcc';
import { crc32c } from '../../../encoding/crc32c';
import type { LevelEngine } from './level-engine';
import { syncDir } from './sync-dir';

const MAGIC = Buffer.from('etcd-ts index image\n', 'latin1');
const FORMAT = 1;

interface ImageMeta {
  format: number;
  /** The applied index stored when the image was taken (decimal). */
  applied: string;
  indexBytes: number;
  revBytes: number;
  lastMain: number;
  /** crc32c of the index image and the revision list bytes. */
  crc: number;
}

/** Where a member's index image lives: beside its LevelDB directory. */
export function indexImagePath(dataDir: string): string {
  return join(dataDir, 'member', 'index-image');
}

/**
 * Writes the image of `mvcc` (over `engine`) at the stored applied index, atomically (a
 * temporary file, fsync, rename, fsync of the directory). Returns why no image was written, or
 * undefined when one was.
 */
export function saveIndexImage(path: string, engine: LevelEngine, mvcc: MvccStore, appliedIndex: number): string | undefined {
  const revs = engine.revisionImage();
  if (revs === undefined) return 'writes not landed';
  const index = mvcc.indexImage();
  if (index === undefined) return 'a compaction is unfinished';
  const meta: ImageMeta = {
    format: FORMAT,
    applied: String(appliedIndex),
    indexBytes: index.length,
    revBytes: revs.bytes.length,
    lastMain: revs.lastMain,
    crc: crc32c(revs.bytes, crc32c(index)),
  };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const len = Buffer.allocUnsafe(4);
  len.writeUInt32BE(metaBytes.length, 0);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    for (const part of [MAGIC, len, metaBytes, index, revs.bytes]) {
      for (let at = 0; at < part.length;) at += writeSync(fd, part, at, part.length - at);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
  return undefined;
}

/** An image's index loaded into `engine` (revision list) and a loader, or why there is none. */
export type LoadedImage = { loader: IndexLoader; bytes: number } | { loader: undefined; reason: string };

/**
 * Loads the image at `path` if it matches `appliedIndex`, and deletes it either way. The engine's
 * revision list is replaced only when the image is used.
 */
export function loadIndexImage(path: string, engine: LevelEngine, appliedIndex: number): LoadedImage {
  rmSync(`${path}.tmp`, { force: true });
  if (!existsSync(path)) return { loader: undefined, reason: 'no index image' };
  try {
    const file = readFileSync(path);
    const bad = (why: string): LoadedImage => ({ loader: undefined, reason: `bad index image: ${why}` });
    if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) return bad('not an index image');
    const metaEnd = MAGIC.length + 4 + file.readUInt32BE(MAGIC.length);
    if (metaEnd > file.length) return bad('truncated');
    const meta = JSON.parse(file.toString('utf8', MAGIC.length + 4, metaEnd)) as ImageMeta;
    if (meta.format !== FORMAT) return bad(`format ${meta.format}`);
    if (meta.applied !== String(appliedIndex)) {
      return { loader: undefined, reason: `stale index image (applied index ${meta.applied}, stored ${appliedIndex})` };
    }
    const body = file.subarray(metaEnd);
    if (body.length !== meta.indexBytes + meta.revBytes || crc32c(body) !== meta.crc) return bad('it fails its checksum');
    const index = decodeIndexImage(body.subarray(0, meta.indexBytes));
    engine.loadRevisionImage(body.subarray(meta.indexBytes));
    return { loader: new IndexLoader(index, meta.lastMain), bytes: file.length };
  } catch (e) {
    return { loader: undefined, reason: `bad index image: ${(e as Error).message}` };
  } finally {
    rmSync(path, { force: true });
  }
}
