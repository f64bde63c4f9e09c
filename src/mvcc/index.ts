/**
 * etcd's multi-version key-value store as a pure core (no I/O, no clock, no randomness).
 *
 * - {@link MvccStore}: range / put / deleteRange / deleteKeys / txn / compact / hashKV /
 *   events (history) / forEachLive, over an {@link Engine} (MemoryEngine here; the server's
 *   LevelDB engine implements the same interface). Errors are EtcdError kinds.
 * - validate*: the checks the gRPC edge runs before proposing (etcd's v3rpc/key.go).
 * - Engine key space used by the store: `r/...` (revision records) and `m/compact`.
 */
export * from './types';
export { type Engine, MemoryEngine } from './engine';
export { MvccStore, type StoreHooks } from './store';
export { validateRange, validatePut, validateDeleteRange, validateTxn, DEFAULT_MAX_TXN_OPS } from './validate';
export { toSpan, KEY_MAX, type KeySpan } from './kv-index';
export { eventsInRange } from './history';
export { IndexLoader, type RevisionHeader } from './restore';
export { encodeIndexImage, decodeIndexImage, IndexImageError } from './index-image';
