/**
 * The start-up table check's second half: the value blocks it deferred (leveldb-table-check.ts)
 * are verified once the member serves, one table between event-loop turns. A damaged block stops
 * the member (as etcd stops on a corrupt backend), through `fail`.
 */
import type { Logger } from 'pino';
import { verifyDeferred, type DeferredBlocks } from './leveldb-table-check';

export interface BackgroundCheck {
  dir: string;
  tables: DeferredBlocks[];
}

/** Runs the check; returns a function that stops it early (member stop). */
export function startBackgroundCheck(c: BackgroundCheck, log: Logger, fail: (e: Error) => void): () => void {
  let stopped = false;
  const total = c.tables.reduce((n, t) => n + t.blocks.length, 0);
  if (total === 0) return () => undefined;
  const t0 = performance.now();
  let done = 0;
  const pause = (): Promise<void> =>
    new Promise((resolve, reject) => {
      done++;
      if (done % 50 === 0) log.info({ tables: done, of: c.tables.length }, 'verifying stored values');
      setImmediate(() => (stopped ? reject(new Error('stopped')) : resolve()));
    });
  log.info({ tables: c.tables.length, blocks: total }, 'verifying stored values in the background');
  verifyDeferred(c.dir, c.tables, pause).then(
    (blocks) => log.info({ blocks, took: `${Math.round(performance.now() - t0)}ms` }, 'stored values verified'),
    (e: Error) => {
      if (!stopped) fail(e);
    },
  );
  return () => {
    stopped = true;
  };
}
