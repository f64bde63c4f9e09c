/**
 * A damaged value block is not read before LevelDB opens (start-up time must not grow with the
 * data stored), so the member starts; the background check then finds it and the member stops
 * with the table named, as a failed write stops it (issue 14). The blocks holding anything else
 * are still checked before open (datadir.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { ClassicLevel } from 'classic-level';
import { etcdTsBin, memberArgs, startProcessMember } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { EtcdClient } from '../server/grpc-client';
import { checkLevelDbTables } from '../../src/server/engine/storage/leveldb-table-check';
import { indexImagePath } from '../../src/server/engine/storage/index-image-store';
import { prng } from '../helpers/prng';

const KV = 'etcdserverpb.KV';

test('a damaged value block: the member starts, the background check finds it and stops the member', { timeout: 120_000 }, async () => {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-valuecrc-')), 'data');
  const seed = 4242;
  const rnd = prng(seed);
  const m = await startProcessMember({ dataDir });
  const c = new EtcdClient(m.endpoint);
  for (let i = 0; i < 3000; i++) {
    const value = Buffer.from(Array.from({ length: 300 }, () => Math.floor(rnd() * 256)));
    await c.call(KV, 'Put', { key: Buffer.from(`v/${String(i).padStart(5, '0')}`), value });
  }
  c.close();
  await m.stop();
  assert.ok(fs.existsSync(indexImagePath(dataDir)), 'the clean stop left an index image');
  // Push everything from LevelDB's log into tables, as a long-running member's data would be.
  const ldb = path.join(dataDir, 'member', 'leveldb');
  const db = new ClassicLevel<string, Buffer>(ldb, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  await db.compactRange('\u0000', '\uffff');
  await db.close();

  const deferred = checkLevelDbTables(ldb, [{ start: 'mvcc/r/', end: 'mvcc/r0' }]);
  assert.ok(deferred.length > 0 && deferred[0]!.blocks.length > 2, JSON.stringify(deferred).slice(0, 200));
  const t = deferred[0]!;
  const h = t.blocks[Math.floor(t.blocks.length / 2)]!;
  const file = path.join(ldb, t.file);
  const bytes = fs.readFileSync(file);
  const at = h.offset + Math.floor(h.size / 2);
  bytes[at] = bytes[at]! ^ 0x5a;
  fs.writeFileSync(file, bytes);

  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [etcdTsBin(), ...memberArgs('n1', dataDir, clientPort, peerPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  try {
    assert.notEqual(code, 0, stderr.slice(-2000));
    assert.match(stderr, /verifying stored values in the background/);
    assert.match(
      stderr,
      new RegExp(
        `the data dir is corrupt; member stops serving.*LevelDB table ${t.file} is damaged: data block at offset ${h.offset} fails its checksum|LevelDB table ${t.file} is damaged: data block at offset ${h.offset} fails its checksum.*the data dir is corrupt`,
      ),
    );
    // The start read the image (and removed it); a member that failed never writes one: its
    // in-memory state may be ahead of what landed.
    assert.ok(!fs.existsSync(indexImagePath(dataDir)), 'the failed member left an index image');
  } finally {
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
});
