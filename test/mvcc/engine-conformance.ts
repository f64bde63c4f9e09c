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
import type { Engine, IndexLoader } from '../../src/mvcc';
import { MvccStore } from '../../src/mvcc';
import { decodeRecord, encodeRecord } from '../../src/mvcc/codec';

export interface EngineFactory {
  create(): Promise<Engine>;
  reopen?(e: Engine): Promise<Engine>;
  close?(e: Engine): Promise<void>;
  /** Makes every write so far durable (engines that buffer writes). */
  flush?(e: Engine): Promise<void>;
  /** The index a reopened engine rebuilt from its revision headers while loading. */
  headers?(e: Engine): IndexLoader | undefined;
}

// Keys under `r/` are revision records: engines may parse them, so they hold real records
// (a put of key=value); other keys hold the bytes themselves.
const isRev = (k: string): boolean => k.startsWith('r/');
const encAt = (k: string, s: string): Uint8Array =>
  isRev(k)
    ? encodeRecord({ key: Buffer.from('key'), create_revision: 1, mod_revision: 1, version: 1, value: Buffer.from(s), lease: 0n }, false)
    : Buffer.from(s);
const decAt = (k: string, v: Uint8Array | undefined): string | undefined =>
  v === undefined ? undefined : isRev(k) ? decodeRecord(v).kv.value.toString() : Buffer.from(v).toString();
const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (v: Uint8Array | undefined): string | undefined => (v === undefined ? undefined : Buffer.from(v).toString());
const scanAll = (e: Engine, start: string, end: string): [string, string][] => [...e.scan(start, end)].map(([k, v]) => [k, decAt(k, v)!]);
const rk = (main: number, sub = 0): string => `r/${main.toString(16).padStart(16, '0')}_${sub.toString(16).padStart(8, '0')}`;

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
      for (const k of ks) e.put(k, encAt(k, k));
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

  test(`${name}: revision records read alike before and after they are durable`, () =>
    withEngine(async (e) => {
      for (let i = 1; i <= 50; i++) e.put(rk(i), encAt(rk(i), `v${i}`));
      await factory.flush?.(e);
      for (let i = 51; i <= 60; i++) e.put(rk(i, 1), encAt(rk(i, 1), `w${i}`));
      e.del(rk(3));
      e.del(rk(55, 1));
      e.del(rk(999)); // never there
      assert.equal(decAt(rk(1), e.get(rk(1))), 'v1');
      assert.equal(e.get(rk(3)), undefined);
      assert.equal(decAt(rk(60, 1), e.get(rk(60, 1))), 'w60');
      assert.equal(e.get(rk(55, 1)), undefined);
      const keys = scanAll(e, rk(2), rk(52)).map(([k]) => k);
      assert.deepEqual(keys, [rk(2), ...Array.from({ length: 47 }, (_, j) => rk(j + 4)), rk(51, 1)]);
      await factory.flush?.(e);
      assert.equal(e.get(rk(3)), undefined);
      assert.equal(decAt(rk(51, 1), e.get(rk(51, 1))), 'w51');
      assert.equal(scanAll(e, 'r/', 'r0').length, 58);
    }));

  test(`${name}: getRevision(main, sub) reads what get(revision key) reads, cached, deleted or not`, () =>
    withEngine(async (e) => {
      const both = (main: number, sub: number): string | undefined => {
        const byKey = decAt(rk(main, sub), e.get(rk(main, sub)));
        assert.equal(decAt(rk(main, sub), e.getRevision(main, sub)), byKey, `revision ${main}_${sub}`);
        return byKey;
      };
      for (let i = 1; i <= 20; i++) e.put(rk(i, i % 3), encAt(rk(i, i % 3), `v${i}`));
      assert.equal(both(4, 1), 'v4');
      assert.equal(both(4, 0), undefined); // sub 0 of a main held only at sub 1
      await factory.flush?.(e);
      // Read (and so cache) every record, then delete some: no read may answer from the cache.
      for (let i = 1; i <= 20; i++) assert.equal(both(i, i % 3), `v${i}`);
      for (const i of [3, 6, 7, 8]) e.del(rk(i, i % 3));
      for (const i of [3, 6, 7, 8]) assert.equal(both(i, i % 3), undefined);
      await factory.flush?.(e);
      for (let i = 1; i <= 20; i++) assert.equal(both(i, i % 3), [3, 6, 7, 8].includes(i) ? undefined : `v${i}`);
      // The same main at another sub is another record.
      e.put(rk(9, 2), encAt(rk(9, 2), 'nine-two'));
      await factory.flush?.(e);
      assert.equal(both(9, 2), 'nine-two');
      assert.equal(both(9, 0), 'v9');
    }));

  test(`${name}: putRevision / delRevision(main, sub) write what put / del of the revision key write`, () =>
    withEngine(async (e) => {
      // Records written by number, read by key (and scanned), before and after they land.
      for (let i = 1; i <= 12; i++) e.putRevision(i, i % 4, encAt(rk(i, i % 4), `n${i}`));
      e.put(rk(13, 2), encAt(rk(13, 2), 'k13'));
      const all: [number, string, string][] = Array.from({ length: 12 }, (_, j) => [j + 1, rk(j + 1, (j + 1) % 4), `n${j + 1}`]);
      all.push([13, rk(13, 2), 'k13']);
      const expect = (gone: number[]): [string, string][] => all.filter(([i]) => !gone.includes(i)).map(([, k, v]) => [k, v]);
      assert.deepEqual(scanAll(e, 'r/', 'r0'), expect([]));
      await factory.flush?.(e);
      assert.deepEqual(scanAll(e, 'r/', 'r0'), expect([]));
      assert.equal(decAt(rk(5, 1), e.get(rk(5, 1))), 'n5');
      // Deleted by number: written by number or by key, landed or not, cached or not.
      e.delRevision(5, 1);
      e.delRevision(13, 2);
      e.putRevision(20, 0, encAt(rk(20), 'n20'));
      e.delRevision(20, 0);
      e.delRevision(99, 3); // not held: nothing happens
      for (const [main, sub] of [
        [5, 1],
        [13, 2],
        [20, 0],
      ] as const) {
        assert.equal(e.get(rk(main, sub)), undefined);
        assert.equal(e.getRevision(main, sub), undefined);
      }
      assert.deepEqual(scanAll(e, 'r/', 'r0'), expect([5, 13]));
      await factory.flush?.(e);
      assert.deepEqual(scanAll(e, 'r/', 'r0'), expect([5, 13]));
      assert.equal(e.get(rk(5, 1)), undefined); // it was cached when it was deleted
      assert.equal(e.getRevision(13, 2), undefined);
      // Deleted by key after a write by number.
      e.del(rk(7, 3));
      await factory.flush?.(e);
      assert.deepEqual(scanAll(e, 'r/', 'r0'), expect([5, 7, 13]));
    }));

  if (factory.reopen !== undefined) {
    const reopen = factory.reopen.bind(factory);
    test(`${name}: data survives reopen`, () =>
      withEngine(async (e) => {
        e.put('a', enc('1'));
        e.put('b', enc('2'));
        e.del('a');
        e.put(rk(7), encAt(rk(7), 'seven'));
        e.put(rk(8), encAt(rk(8), 'eight'));
        e.del(rk(8));
        const e2 = await reopen(e);
        assert.equal(e2.get('a'), undefined);
        assert.equal(dec(e2.get('b')), '2');
        assert.equal(decAt(rk(7), e2.get(rk(7))), 'seven');
        assert.deepEqual(scanAll(e2, '', '\x7f'), [
          ['b', '2'],
          [rk(7), 'seven'],
        ]);
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
        const before40 = s1.range({ ...all, revision: 40 });
        const hash = s1.hashKV(0);
        const rev1 = s1.currentRevision;
        const keys1 = s1.keyCount;
        const e2 = await reopen(e);
        const s2 = new MvccStore(e2, {}, factory.headers?.(e2));
        assert.equal(s2.currentRevision, rev1);
        assert.equal(s2.compactRevision, 30);
        assert.equal(s2.keyCount, keys1);
        assert.deepEqual(s2.range(all), before);
        assert.deepEqual(s2.range({ ...all, revision: 40 }), before40);
        assert.deepEqual(s2.hashKV(0), hash);
        assert.equal(s2.put({ key: b('k0'), value: b('after') }).response.revision, rev1 + 1);
        return e2;
      }));
  }
}
