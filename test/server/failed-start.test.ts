/**
 * A start that fails (a client or peer port that cannot be bound) stops every part it started,
 * logs one fatal line and exits 1, with the data dir as it was. etcd-ts used to leave its Raft
 * loop running against the closed database ("Database is not open", logged again and again).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { freePort } from '../helpers/ports';
import { memberArgs, runEtcdTs, startProcessMember } from '../helpers/process-member';
import { runEtcdctl } from '../helpers/tools';

/** Every file under dir with its sha256 (LevelDB's LOG excluded: only an open writes it). */
function fileHashes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(fs.readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Every key and value of the member's LevelDB database. */
async function dbContent(dataDir: string): Promise<Map<string, string>> {
  const db = new Level<string, Buffer>(path.join(dataDir, 'member', 'leveldb'), { valueEncoding: 'buffer', createIfMissing: false });
  const out = new Map<string, string>();
  try {
    for await (const [k, v] of db.iterator()) out.set(k, v.toString('hex'));
  } finally {
    await db.close();
  }
  return out;
}

/** Holds the port; a connection it gets (a client left over from an earlier step) is dropped. */
function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

function fatalLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.includes('"level":"fatal"'));
}

async function memberWithData(): Promise<{ dataDir: string; clientPort: number; peerPort: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-failstart-'));
  const m = await startProcessMember({ dataDir });
  assert.equal((await runEtcdctl(m.endpoint, ['put', 'k', 'v'])).code, 0);
  await m.stop();
  return { dataDir, clientPort: m.clientPort, peerPort: m.peerPort };
}

test('a client port in use: exit 1, one fatal line, data dir files untouched', async () => {
  const { dataDir, clientPort, peerPort } = await memberWithData();
  const before = fileHashes(dataDir);
  const blocker = await occupy(clientPort);
  try {
    const r = await runEtcdTs(memberArgs('default', dataDir, clientPort, peerPort), { timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    const fatal = fatalLines(r.stderr);
    assert.equal(fatal.length, 1, r.stderr);
    assert.match(fatal[0]!, /"msg":"discovery failed","error":"listen tcp 127\.0\.0\.1:\d+: bind: address already in use"/);
    assert.doesNotMatch(r.stderr, /raft loop failed|Database is not open/);
    assert.deepEqual(fileHashes(dataDir), before, 'the data dir was not opened');
  } finally {
    blocker.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a peer port in use: exit 1, one fatal line, no Raft loop, the database content unchanged', async () => {
  const { dataDir, clientPort, peerPort } = await memberWithData();
  const before = await dbContent(dataDir);
  const blocker = await occupy(peerPort);
  try {
    const r = await runEtcdTs(memberArgs('default', dataDir, clientPort, peerPort), { timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    const fatal = fatalLines(r.stderr);
    assert.equal(fatal.length, 1, r.stderr);
    assert.match(fatal[0]!, /"msg":"discovery failed","error":"listen tcp 127\.0\.0\.1:\d+: bind: address already in use"/);
    assert.doesNotMatch(r.stderr, /raft loop failed|Database is not open/);
    assert.deepEqual(await dbContent(dataDir), before);
  } finally {
    blocker.close();
  }
  // And the member starts normally afterwards, with its data.
  try {
    const m = await startProcessMember({ dataDir, clientPort: await freePort(), peerPort: await freePort() });
    const g = await runEtcdctl(m.endpoint, ['get', 'k', '--print-value-only']);
    assert.equal(g.stdout.trim(), 'v');
    await m.stop();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a fresh member whose peer port is in use leaves no member identity behind', async () => {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-failstart-')), 'new');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const blocker = await occupy(peerPort);
  try {
    const r = await runEtcdTs(memberArgs('default', dataDir, clientPort, peerPort), { timeoutMs: 20_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(fatalLines(r.stderr).length, 1, r.stderr);
  } finally {
    blocker.close();
  }
  // Nothing was written: the next start bootstraps the member as new.
  const m = await startProcessMember({ dataDir, clientPort, peerPort });
  try {
    assert.match(m.stderr(), /bootstrapped new cluster/);
  } finally {
    await m.stop();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  }
});
