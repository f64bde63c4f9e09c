/** The LevelDB table verifier (run before LevelDB opens a member's database), on tables classic-level wrote. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import type { ClassicLevel } from 'classic-level';
import { checkLevelDbTables, checkTable, verifyDeferred } from '../../src/server/engine/storage/leveldb-table-check';
import { snappyUncompress } from '../../src/server/engine/storage/snappy';
import { liveTables } from '../../src/server/engine/storage/leveldb-manifest';

/**
 * A closed LevelDB whose data is in .ldb tables: compressible and random values, many blocks; with
 * `others`, also keys outside the value range (a Raft log) before and after it.
 */
async function tables(t: { after(fn: () => void): void }, others = false): Promise<{ dir: string; files: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-tables-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  let seed = 7;
  const rnd = (): number => (seed = (seed * 48271) % 2147483647) & 0xff;
  for (let i = 0; i < 3000; i++) {
    const value = i % 2 === 0 ? Buffer.alloc(300, 97 + (i % 26)) : Buffer.from(Array.from({ length: 300 }, rnd));
    await db.put(`mvcc/r/${String(i).padStart(8, '0')}`, value);
    if (others && i % 10 === 0) {
      await db.put(`raft/e/${String(i).padStart(8, '0')}`, value);
      await db.put(`auth/${String(i).padStart(8, '0')}`, value);
    }
  }
  await (db as unknown as ClassicLevel<string, Buffer>).compactRange('\u0000', '\uffff');
  await db.close();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ldb'));
  assert.ok(files.length > 0, `no table written: ${fs.readdirSync(dir).join(' ')}`);
  return { dir, files };
}

test('tables LevelDB wrote pass; a garbled byte, a truncation or a missing footer fail', async (t) => {
  const { dir, files } = await tables(t);
  checkLevelDbTables(dir);
  const file = fs.readFileSync(path.join(dir, files[0]!));
  const stats = checkTable(file);
  assert.ok(stats.dataBlocks > 10 && stats.snappyBlocks > 0 && stats.snappyBlocks < stats.dataBlocks + 2, JSON.stringify(stats));
  for (const at of [0.1, 0.5, 0.9]) {
    const bad = Buffer.from(file);
    const pos = Math.floor(bad.length * at);
    bad[pos] = bad[pos]! ^ 0x40;
    assert.throws(() => checkTable(bad), /checksum|bad|past|block/, `one flipped bit at ${at * 100}%`);
  }
  assert.throws(() => checkTable(file.subarray(0, Math.floor(file.length / 2))), /magic/);
  assert.throws(() => checkTable(file.subarray(0, 20)), /shorter/);
  // The MANIFEST lists exactly the tables on disk, with their sizes.
  const live = liveTables(dir)!;
  assert.deepEqual([...live.keys()].map((n) => `${String(n).padStart(6, '0')}.ldb`).sort(), [...files].sort());
  for (const f of files) assert.equal(live.get(Number(f.slice(0, 6))), fs.statSync(path.join(dir, f)).size);
  // A table the MANIFEST does not list (a compaction output cut short by a crash) is not data.
  fs.writeFileSync(path.join(dir, '999999.ldb'), Buffer.alloc(1000, 0xee));
  checkLevelDbTables(dir);
  fs.writeFileSync(path.join(dir, files[0]!), file.subarray(0, file.length - 1));
  assert.throws(
    () => checkLevelDbTables(dir),
    new RegExp(`LevelDB table ${files[0]} is damaged: ${file.length - 1} bytes, the MANIFEST records ${file.length}`),
  );
  fs.rmSync(path.join(dir, files[0]!));
  assert.throws(() => checkLevelDbTables(dir), /is missing/);
});

const VALUES = [{ start: 'mvcc/r/', end: 'mvcc/r0' }];

test('value blocks are left for the background check; every other block is read before open', async (t) => {
  const { dir, files } = await tables(t, true);
  const file = fs.readFileSync(path.join(dir, files[0]!));
  const all = checkTable(file);
  const some = checkTable(file, VALUES);
  assert.ok(some.deferred.length > 0, JSON.stringify(some));
  assert.equal(some.dataBlocks + some.deferred.length, all.dataBlocks);
  // Blocks holding keys outside the range (auth/ sorts before, raft/ after) are checked now.
  assert.ok(some.dataBlocks >= 2, JSON.stringify(some));
  const deferred = checkLevelDbTables(dir, VALUES);
  let pauses = 0;
  const pause = async (): Promise<void> => {
    pauses++;
  };
  assert.equal(
    await verifyDeferred(dir, deferred, pause),
    deferred.reduce((n, d) => n + d.blocks.length, 0),
  );
  assert.equal(pauses, deferred.length);
  // A flipped byte inside a deferred block: open-time check passes, the background one fails.
  const h = deferred[0]!.blocks[Math.floor(deferred[0]!.blocks.length / 2)]!;
  const f = path.join(dir, deferred[0]!.file);
  const bad = fs.readFileSync(f);
  bad[h.offset + 3] = bad[h.offset + 3]! ^ 0x10;
  fs.writeFileSync(f, bad);
  const again = checkLevelDbTables(dir, VALUES);
  await assert.rejects(
    verifyDeferred(dir, again, pause),
    new RegExp(`LevelDB table ${deferred[0]!.file} is damaged: data block at offset ${h.offset} fails its checksum`),
  );
  assert.throws(() => checkLevelDbTables(dir), /fails its checksum/);
  // A table deleted meanwhile (LevelDB compacted it away) is skipped.
  fs.rmSync(f);
  assert.equal(await verifyDeferred(dir, again.slice(0, 1), pause), 0);
});

test('snappy: literals, overlapping copies, and malformed input refused', () => {
  // "abcabcabcabcX": length 13, literal "abc", copy len 9 offset 3 (2-byte form), literal "X".
  const enc = Buffer.from([13, (3 - 1) << 2, 0x61, 0x62, 0x63, ((9 - 1) << 2) | 2, 3, 0, 0, 0x58]);
  assert.equal(snappyUncompress(enc).toString(), 'abcabcabcabcX');
  // 1-byte-offset copy: len 4..11, offset < 2048.
  assert.equal(snappyUncompress(Buffer.from([6, 1 << 2, 0x7a, 0x79, 1 | (0 << 2), 2])).toString(), 'zyzyzy');
  assert.throws(() => snappyUncompress(Buffer.from([5, 0, 0x61, 1, 9])), /out of bounds/);
  assert.throws(() => snappyUncompress(Buffer.from([5, 0, 0x61])), /length mismatch/);
  assert.throws(() => snappyUncompress(Buffer.from([0x80])), /bad length/);
});
