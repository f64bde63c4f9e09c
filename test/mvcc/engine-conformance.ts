/**
 * Conformance suite for {@link Engine} implementations. Registers node:test tests; call it from
 * a *.test.ts file with a factory for the engine under test:
 *
 *   engineConformance('leveldb', { create, reopen, close });
 *
 * `reopen(e)` must flush/close `e` and return a new engine over the same durable data; with it
 * the suite also checks that an MvccStore rebuilt after reopen has the same state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/mvcc';
import { MvccStore } from '../../src/mvcc';

export interface EngineFactory {
  create(): Promise<Engine>;
  reopen?(e: Engine): Promise<Engine>;
  close?(e: Engine): Promise<void>;
}

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v).toString());
const scanAll = (e: Engine, start: string, end: string): [string, string][] =>
  [...e.scan(start, end)].map(([k, v]) => [k, Buffer.from(v).toString()]);

export function engineConformance(name: string, factory: EngineFactory): void {
  const withEngine = async (fn: (e: Engine) => Promise<Engine | void> | Engine | void): Promise<void> => {
    let e = await factory.create();
    try {
      const r = await fn(e);
      if (r !== undefined) e = r;
    } finally {
      if (factory.close !== undefined) await factory.close(e);
    }
  };

  test(`${name}: get/put/overwrite/delete`, () =>
    withEngine((e) => {
      assert.equal(e.get('a'), undefined);
      e.put('a', enc('1'));
      assert.equal(dec(e.get('a')), '1');
      e.put('a', enc('2'));
      assert.equal(dec(e.get('a')), '2');
      e.put('b', new Uint8Array(0));
      assert.equal(e.get('b')?.length, 0);
      e.del('a');
      assert.equal(e.get('a'), undefined);
      e.del('never-there');
      assert.deepEqual(scanAll(e, '', '\x7f'), [['b', '']]);
    }));

  test(`${name}: scan is ascending by key with [start, end) bounds`, () =>
    withEngine((e) => {
      const ks = [
        'r/0000000000000010_00000000',
        'm/compact',
        'r/0000000000000002_00000001',
        'r/0000000000000002_00000000',
        'a',
        'r/000000000000000a_00000000',
        'r0',
        'r',
      ];
      for (const k of ks) e.put(k, enc(k));
      const sorted = [...ks].sort();
      assert.deepEqual(
        scanAll(e, '', '\x7f').map(([k]) => k),
        sorted,
      );
      assert.deepEqual(
        scanAll(e, 'r/', 'r0').map(([k]) => k),
        sorted.filter((k) => k.startsWith('r/')),
      );
      assert.deepEqual(
        scanAll(e, 'r/0000000000000002_00000001', 'r/0000000000000010_00000000').map(([k]) => k),
        ['r/0000000000000002_00000001', 'r/000000000000000a_00000000'],
      );
      assert.deepEqual(scanAll(e, 'r0', 'r/'), []);
      assert.deepEqual(scanAll(e, 'a', 'a'), []);
      assert.deepEqual(scanAll(e, 'zz', '\x7f'), []);
      for (const [k, v] of scanAll(e, '', '\x7f')) assert.equal(v, k);
    }));

  test(`${name}: scan after deletes and overwrites`, () =>
    withEngine((e) => {
      for (let i = 0; i < 200; i++) e.put(`k${String(i).padStart(3, '0')}`, enc(String(i)));
      for (let i = 0; i < 200; i += 2) e.del(`k${String(i).padStart(3, '0')}`);
      e.put('k001', enc('x'));
      const got = scanAll(e, 'k', 'l');
      assert.equal(got.length, 100);
      assert.deepEqual(got[0], ['k001', 'x']);
      assert.deepEqual(got[99], ['k199', '199']);
    }));

  if (factory.reopen !== undefined) {
    const reopen = factory.reopen.bind(factory);
    test(`${name}: data survives reopen`, () =>
      withEngine(async (e) => {
        e.put('a', enc('1'));
        e.put('b', enc('2'));
        e.del('a');
        const e2 = await reopen(e);
        assert.equal(e2.get('a'), undefined);
        assert.equal(dec(e2.get('b')), '2');
        assert.deepEqual(scanAll(e2, '', '\x7f'), [['b', '2']]);
        return e2;
      }));

    test(`${name}: an MvccStore rebuilt after reopen has the same state`, () =>
      withEngine(async (e) => {
        const s1 = new MvccStore(e, { leaseExists: () => true });
        const b = (s: string): Buffer => Buffer.from(s);
        for (let i = 0; i < 50; i++) s1.put({ key: b(`k${i % 7}`), value: b(`v${i}`), lease: BigInt(i % 3) });
        s1.deleteRange({ key: b('k3') });
        s1.txn({ success: [{ request_put: { key: b('t'), value: b('1') } }, { request_delete_range: { key: b('k5') } }] });
        s1.compact(30);
        s1.put({ key: Buffer.from([0xff, 0x00]), value: b('bin') });
        const all = { key: Buffer.from([0]), range_end: Buffer.from([0]) };
        const before = s1.range(all);
        const hash = s1.hashKV(0);
        const e2 = await reopen(e);
        const s2 = new MvccStore(e2);
        assert.equal(s2.currentRevision, s1.currentRevision);
        assert.equal(s2.compactRevision, 30);
        assert.equal(s2.keyCount, s1.keyCount);
        assert.deepEqual(s2.range(all), before);
        assert.deepEqual(s2.range({ ...all, revision: 40 }), s1.range({ ...all, revision: 40 }));
        assert.deepEqual(s2.hashKV(0), hash);
        assert.equal(s2.put({ key: b('k0'), value: b('after') }).response.revision, s1.currentRevision + 1);
        return e2;
      }));
  }
}
