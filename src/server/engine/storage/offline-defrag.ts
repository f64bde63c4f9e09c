/**
 * `etcdutl-ts defrag --data-dir D` (etcdutl's offline defrag): compacts the LevelDB files of a
 * data dir no member is using (LevelDB's lock refuses a running member's). etcd's text for a
 * missing store: `stat <path>: no such file or directory`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';

export async function defragDataDir(dataDir: string): Promise<void> {
  const location = join(dataDir, 'member', 'leveldb');
  if (!existsSync(location)) throw new Error(`stat ${location}: no such file or directory`);
  const db = new ClassicLevel<string, Buffer>(location, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  try {
    await db.open({ createIfMissing: false });
  } catch (e) {
    throw new Error((e as { cause?: Error }).cause?.message ?? (e as Error).message);
  }
  try {
    await db.compactRange('\u0000', '\uffff');
  } finally {
    await db.close();
  }
}
