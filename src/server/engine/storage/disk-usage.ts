/**
 * On-disk size of the member's database directory (Status.dbSize), measured at most once a
 * second: Status is polled by monitoring and must not walk the directory on every call.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class DiskUsage {
  private readonly dir: string;
  private cached = 0;
  private at = -Infinity;

  constructor(dir: string) {
    this.dir = dir;
  }

  bytes(): number {
    const now = performance.now();
    if (now - this.at < 1000) return this.cached;
    let total = 0;
    try {
      for (const f of readdirSync(this.dir)) {
        try {
          total += statSync(join(this.dir, f)).size;
        } catch {
          // a file removed by a LevelDB compaction in between
        }
      }
    } catch {
      total = this.cached;
    }
    this.cached = total;
    this.at = now;
    return total;
  }

  invalidate(): void {
    this.at = -Infinity;
  }
}
