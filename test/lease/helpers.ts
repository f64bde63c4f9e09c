import { MemoryEngine, MvccStore } from '../../src/mvcc';
import { Lessor, type LessorConfig } from '../../src/lease';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A manual monotonic clock in ms. */
export class FakeClock {
  t = 1_000_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Fixture {
  clock: FakeClock;
  engine: MemoryEngine;
  lessor: Lessor;
  mvcc: MvccStore;
}

/** A lessor and an MVCC store sharing one MemoryEngine, wired as the member wires them. */
export function fixture(config: Partial<LessorConfig> = {}, engine = new MemoryEngine(), clock = new FakeClock()): Fixture {
  const lessor = new Lessor({ clock: clock.now, config: { minTtl: 2, ...config }, engine });
  const mvcc = new MvccStore(engine, { leaseExists: (id) => lessor.has(id) });
  return { clock, engine, lessor, mvcc };
}

/** Put through the store, then follow attachments as the applier's onEvents would. */
export function put(f: Fixture, key: string, value: string, lease = 0n): void {
  const r = f.mvcc.put({ key: b(key), value: b(value), lease });
  f.lessor.onEvents(r.events);
}

export function keyNames(keys: readonly Buffer[]): string[] {
  return keys.map((k) => k.toString('latin1'));
}
