/**
 * A base for fake member databases: `batch()` returns a chained batch (what the member writes
 * through, write-ops.ts) that collects its ops as plain objects and hands them to `write`.
 */
import type { BatchOp } from '../../src/server/engine/storage/level-engine';

export interface ChainedOps {
  put(key: string, value: Uint8Array): ChainedOps;
  del(key: string): ChainedOps;
  write(options?: { sync?: boolean }): Promise<void>;
}

export abstract class OpsDb {
  /** Receives each written batch's ops, in order. */
  abstract write(ops: BatchOp[], sync: boolean): Promise<void>;

  batch(): ChainedOps {
    const ops: BatchOp[] = [];
    const chained: ChainedOps = {
      put: (key, value) => (ops.push({ type: 'put', key, value }), chained),
      del: (key) => (ops.push({ type: 'del', key }), chained),
      write: (options) => this.write(ops, options?.sync === true),
    };
    return chained;
  }
}
