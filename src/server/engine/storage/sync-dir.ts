/** fsync of a directory, so a rename or a new entry in it survives a crash. */
import { closeSync, fsyncSync, openSync } from 'node:fs';

export function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
