/** Wire (proto-loader object) forms of the Txn pieces the concurrency recipes use. */
import { prefixEnd, type Wire } from './kv-ops';

export const createRevIs = (key: Buffer, rev: number): Wire => ({ result: 'EQUAL', target: 'CREATE', key, create_revision: String(rev) });

export const opPut = (key: Buffer, value: Buffer, lease: bigint): Wire => ({ request_put: { key, value, lease: lease.toString() } });

export const opGet = (key: Buffer): Wire => ({ request_range: { key } });

export const opDelete = (key: Buffer): Wire => ({ request_delete_range: { key } });

/** clientv3 OpGet(prefix, WithFirstCreate()...): the prefix's oldest key. */
export const opGetFirstCreate = (prefix: Buffer): Wire => ({
  request_range: { key: prefix, range_end: prefixEnd(prefix), sort_order: 'ASCEND', sort_target: 'CREATE', limit: '1' },
});

/** `name/` (the recipes' key prefix) and `name/<lease hex>` (Go's %x of the int64 lease id). */
export function recipeKeys(name: Buffer, lease: bigint): { prefix: Buffer; key: Buffer } {
  const prefix = Buffer.concat([name, Buffer.from('/')]);
  return { prefix, key: Buffer.concat([prefix, Buffer.from(lease.toString(16))]) };
}
