import { MemoryEngine } from '../../src/mvcc';
import type { Engine } from '../../src/mvcc';
import { engineConformance } from './engine-conformance';

// "Reopen" of a memory engine: a new engine holding a copy of the data.
engineConformance('MemoryEngine', {
  create: async () => new MemoryEngine(),
  reopen: async (e: Engine) => {
    const fresh = new MemoryEngine();
    for (const [k, v] of e.scan('', '\uffff')) fresh.put(k, Uint8Array.from(v));
    return fresh;
  },
});
