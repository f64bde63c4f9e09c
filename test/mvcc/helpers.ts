import { MemoryEngine, MvccStore } from '../../src/mvcc';
import type { KeyValue, StoreHooks } from '../../src/mvcc';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export function freshStore(hooks?: StoreHooks): { store: MvccStore; engine: MemoryEngine } {
  const engine = new MemoryEngine();
  return { store: new MvccStore(engine, hooks), engine };
}

/** A comparable plain view of a KeyValue. */
export function plain(kv: KeyValue | undefined): unknown {
  if (kv === undefined) return undefined;
  return {
    key: kv.key.toString('latin1'),
    create_revision: kv.create_revision,
    mod_revision: kv.mod_revision,
    version: kv.version,
    value: kv.value.toString('latin1'),
    lease: kv.lease,
  };
}

export function keys(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => kv.key.toString('latin1'));
}

export function putAll(store: MvccStore, pairs: Record<string, string>): void {
  for (const [k, v] of Object.entries(pairs)) store.put({ key: b(k), value: b(v) });
}
