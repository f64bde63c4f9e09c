export * from './types';
export { type Engine, MemoryEngine } from './engine';
export { MvccStore, type StoreHooks } from './store';
export { validateRange, validatePut, validateDeleteRange, validateTxn, DEFAULT_MAX_TXN_OPS } from './validate';
export { toSpan, KEY_MAX, type KeySpan } from './kv-index';
export { crc32c } from './hash';
export { eventsInRange } from './history';
