/**
 * Bad data dirs: `bin/etcd-ts` refuses them at start with a non-zero exit and one clear
 * line on stderr, never serving a silently empty (or silently truncated) store, and leaves the
 * dir's contents as they were.
 *
 * LevelDB's own informational files (LOG, LOG.old, LOCK) are left out of the "unchanged"
 * comparison; every other file must keep its exact bytes and no file may appear or vanish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { startMember } from '../helpers/member';
import { freePort } from '../helpers/ports';
import { memberArgs, runEtcdTs, statusReady } from '../helpers/process-member';
import { repoRoot } from '../helpers/tools';
import { EtcdClient, prng } from './grpc-client';

const KV = 'etcdserverpb.KV';
const IGNORED = new Set(['LOG', 'LOG.old', 'LOCK']);
const roots: string[] = [];
process.on('exit', () => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(d);
  return d;
}

/** relative path -> sha256 (directories as "dir"), LevelDB's LOG/LOG.old/LOCK left out. */
function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else if (!IGNORED.has(e.name)) {
        out[r] = createHash('sha256')
          .update(fs.readFileSync(path.join(dir, r)))
          .digest('hex');
      }
    }
  };
  walk('');
  return out;
}

interface Outcome {
  code: number | null;
  stderr: string;
  /** Set when the member came up instead of refusing: what it served. */
  served?: { keys: number; revision: number };
}

/** Runs bin/etcd-ts on `dataDir`; if it starts serving instead of exiting, records what it serves and kills it. */
async function runOn(dataDir: string): Promise<Outcome> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const ac = new AbortController();
  const run = runEtcdTs(memberArgs('n1', dataDir, clientPort, peerPort), { timeoutMs: 20_000, signal: ac.signal });
  let served: Outcome['served'];
  let done = false;
  void run.finally(() => (done = true));
  const watcher = (async () => {
    const deadline = Date.now() + 15_000;
    while (!done && Date.now() < deadline) {
      if (await statusReady(`127.0.0.1:${clientPort}`, 500)) {
        const c = new EtcdClient(`127.0.0.1:${clientPort}`);
        try {
          const r = await c.call(KV, 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true }, 3000);
          served = { keys: Number(r.count), revision: Number(r.header.revision) };
        } catch {
          served = { keys: -1, revision: -1 };
        } finally {
          c.close();
        }
        ac.abort();
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const r = await run;
  await watcher;
  const out: Outcome = { code: r.code, stderr: r.stderr };
  if (served !== undefined) out.served = served;
  return out;
}

/** The common assertions: refused, one clear stderr line naming the dir, contents untouched. */
async function expectRefused(dataDir: string, mention: RegExp): Promise<string> {
  const before = fingerprint(dataDir);
  const r = await runOn(dataDir);
  assert.equal(
    r.served,
    undefined,
    `etcd-ts started on a bad data dir and served ${JSON.stringify(r.served)} instead of refusing it\nstderr:\n${r.stderr}`,
  );
  assert.notEqual(r.code, 0, `exit code 0\nstderr:\n${r.stderr}`);
  assert.notEqual(r.code, null, `killed by a signal (timeout?)\nstderr:\n${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected exactly one stderr line, got:\n${r.stderr}`);
  const line = lines[0]!;
  assert.match(line, /"level":"(fatal|error)"/);
  assert.ok(line.includes(dataDir), `the line names the data dir: ${line}`);
  assert.match(line, mention);
  assert.deepEqual(fingerprint(dataDir), before, 'data dir contents changed');
  return line;
}

/** A clean etcd-ts data dir (written in-process, stopped cleanly) with data both in .ldb tables and in the .log. */
let templateDir: string | undefined;
async function cleanTemplate(): Promise<string> {
  if (templateDir !== undefined) return templateDir;
  const dir = path.join(tmp('etcd-ts-datadir-tpl-'), 'data');
  for (let round = 0; round < 2; round++) {
    const m = await startMember({ name: 'n1', dataDir: dir }, { keepDataDir: true });
    const c = new EtcdClient(m.endpoint);
    for (let i = 0; i < 100; i++) {
      await c.call(KV, 'Put', { key: Buffer.from(`r${round}/k${String(i).padStart(3, '0')}`), value: Buffer.alloc(200, 97 + (i % 26)) });
    }
    c.close();
    await m.stop();
  }
  templateDir = dir;
  return dir;
}

async function copyOfClean(): Promise<{ dir: string; ldb: string }> {
  const src = await cleanTemplate();
  const dir = path.join(tmp('etcd-ts-datadir-'), 'data');
  fs.cpSync(src, dir, { recursive: true });
  return { dir, ldb: path.join(dir, 'member', 'leveldb') };
}

function filesOf(ldb: string, re: RegExp): string[] {
  return fs
    .readdirSync(ldb)
    .filter((f) => re.test(f))
    .sort();
}

function garble(file: string, seed: number, fraction = 0.5): void {
  const buf = fs.readFileSync(file);
  const rnd = prng(seed);
  const start = Math.floor(buf.length * fraction);
  const n = Math.min(64, buf.length - start);
  for (let i = 0; i < n; i++) buf[start + i] = Math.floor(rnd() * 256);
  fs.writeFileSync(file, buf);
}

test('the clean template restarts fine (sanity check for the corruption cases)', { timeout: 60_000 }, async () => {
  const { dir, ldb } = await copyOfClean();
  assert.ok(filesOf(ldb, /\.ldb$/).length > 0, `no .ldb table in ${fs.readdirSync(ldb).join(' ')}`);
  assert.ok(filesOf(ldb, /\.log$/).length > 0);
  const r = await runOn(dir);
  assert.deepEqual(r.served, { keys: 200, revision: 201 }, r.stderr);
});

test('a data dir written by real etcd (member/wal, member/snap) is refused', { timeout: 60_000 }, async (t) => {
  let etcd: string;
  try {
    etcd = path.join(repoRoot(), '.tools', 'bin', 'etcd');
    fs.accessSync(etcd, fs.constants.X_OK);
  } catch {
    t.skip('.tools/bin/etcd missing: run test/tools/install.sh');
    return;
  }
  const dir = path.join(tmp('etcd-ts-datadir-real-'), 'data');
  const cp = await freePort();
  const pp = await freePort();
  const child = spawn(etcd, [...memberArgs('n1', dir, cp, pp), '--log-level=error'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('exit', r));
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const req = http.get(`http://127.0.0.1:${cp}/health`, { timeout: 1000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(false));
      });
      if (ok) break;
      assert.ok(Date.now() < deadline, 'real etcd did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  assert.ok(fs.existsSync(path.join(dir, 'member', 'wal')));
  await expectRefused(dir, /etcd/);
});

test('a dir with only member/wal (etcd layout) is refused', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp('etcd-ts-datadir-wal-'), 'data');
  fs.mkdirSync(path.join(dir, 'member', 'wal'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'member', 'wal', '0000000000000000-0000000000000000.wal'), Buffer.alloc(4096, 1));
  await expectRefused(dir, /etcd/);
});

test('a dir with only member/snap/db (etcd layout) is refused', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp('etcd-ts-datadir-snap-'), 'data');
  fs.mkdirSync(path.join(dir, 'member', 'snap'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'member', 'snap', 'db'), Buffer.alloc(4096, 2));
  await expectRefused(dir, /etcd/);
});

test('a non-empty dir with unrelated files is refused', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp('etcd-ts-datadir-stray-'), 'data');
  fs.mkdirSync(path.join(dir, 'photos'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'my notes\n');
  fs.writeFileSync(path.join(dir, 'photos', 'cat.jpg'), Buffer.alloc(1000, 3));
  await expectRefused(dir, /not empty|etcd-ts/);
});

test('a LevelDB without the etcd-ts format marker is refused', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp('etcd-ts-datadir-foreign-'), 'data');
  const db = new Level<string, string>(path.join(dir, 'member', 'leveldb'));
  await db.open();
  await db.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: `other/app/${i}`, value: `value ${i}` })));
  await db.close();
  await expectRefused(dir, /LevelDB|not etcd-ts/);
});

test('an empty member/leveldb directory is refused', { timeout: 30_000 }, async () => {
  const dir = path.join(tmp('etcd-ts-datadir-emptyldb-'), 'data');
  fs.mkdirSync(path.join(dir, 'member', 'leveldb'), { recursive: true });
  await expectRefused(dir, /data dir/);
});

const CORRUPTIONS: [string, (ldb: string) => void][] = [
  ['CURRENT truncated to 0 bytes', (ldb) => fs.truncateSync(path.join(ldb, 'CURRENT'), 0)],
  ['CURRENT naming a missing MANIFEST', (ldb) => fs.writeFileSync(path.join(ldb, 'CURRENT'), 'MANIFEST-999999\n')],
  ['CURRENT garbled', (ldb) => fs.writeFileSync(path.join(ldb, 'CURRENT'), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x0a]))],
  [
    'MANIFEST truncated to half',
    (ldb) => {
      const f = path.join(ldb, filesOf(ldb, /^MANIFEST-/)[0]!);
      fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
    },
  ],
  ['MANIFEST garbled', (ldb) => garble(path.join(ldb, filesOf(ldb, /^MANIFEST-/)[0]!), 1, 0.1)],
  ['MANIFEST deleted', (ldb) => fs.rmSync(path.join(ldb, filesOf(ldb, /^MANIFEST-/)[0]!))],
  ['.ldb table garbled in the middle', (ldb) => garble(path.join(ldb, filesOf(ldb, /\.ldb$/)[0]!), 2)],
  [
    '.ldb table truncated to half',
    (ldb) => {
      const f = path.join(ldb, filesOf(ldb, /\.ldb$/)[0]!);
      fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2));
    },
  ],
  ['.ldb table deleted', (ldb) => fs.rmSync(path.join(ldb, filesOf(ldb, /\.ldb$/)[0]!))],
  // A checksum-failing record in the middle of LevelDB's write-ahead log (not a torn tail: the
  // member was stopped cleanly). LevelDB skips such records unless paranoid_checks is on.
  ['.log garbled at 30% (records after it survive)', (ldb) => garble(path.join(ldb, filesOf(ldb, /\.log$/).pop()!), 3, 0.3)],
  ['.log garbled at 90% (only the last records are lost)', (ldb) => garble(path.join(ldb, filesOf(ldb, /\.log$/).pop()!), 4, 0.9)],
];

// Damaged tables are found before LevelDB opens the database (engine/storage/leveldb-table-check.ts):
// opening would replay LevelDB's log into a new table first and change the dir.
for (const [name, corrupt] of CORRUPTIONS) {
  test(`a corrupted LevelDB is refused: ${name}`, { timeout: 60_000 }, async () => {
    const { dir, ldb } = await copyOfClean();
    corrupt(ldb);
    await expectRefused(dir, /data dir|corrupt|Corruption|IO error/i);
  });
}
