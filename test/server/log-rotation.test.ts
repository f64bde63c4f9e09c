/**
 * --enable-log-rotation and --log-rotation-config-json: the rotating file (lumberjack's names,
 * maxbackups, maxage, compress) with a fake clock and a small size, the config errors side by side
 * with etcd 3.6's, and a member whose debug log passes 1 MB rotating its file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConfigError } from '../../src/server/config/error';
import { type LogRotation, logRotation } from '../../src/server/config/log-rotation';
import { RotatingLogFile, backupTimestamp } from '../../src/server/rotating-log-file';
import { runEtcdTs, startProcessMember } from '../helpers/process-member';
import { run, toolPath } from '../helpers/tools';
import { EtcdClient } from './grpc-client';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'log-rotation-'));
}

function settings(dir: string, over: Partial<LogRotation> = {}): LogRotation {
  return { path: path.join(dir, 'etcd.log'), maxBytes: 100, maxAgeDays: 0, maxBackups: 0, localTime: false, compress: false, ...over };
}

/** A clock that moves only when told. */
function clock(start = Date.UTC(2026, 11, 5, 1, 2, 3, 4)): { now: () => Date; advance(ms: number): void } {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => (t += ms) };
}

test("backup names are lumberjack's: <name>-2006-01-02T15-04-05.000<ext>, UTC", () => {
  assert.equal(backupTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), false), '2026-01-02T03-04-05.006');
});

test('a write that would pass maxsize renames the file to a backup and starts a new one', async () => {
  const dir = tempDir();
  const c = clock();
  const f = new RotatingLogFile(settings(dir), c.now);
  const line = `${'x'.repeat(39)}\n`; // 40 bytes
  f.write(line);
  f.write(line); // 80
  c.advance(1000);
  f.write(line); // would be 120: rotate first
  await f.settled();
  f.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), ['etcd-2026-12-05T01-02-04.004.log', 'etcd.log']);
  assert.equal(fs.readFileSync(path.join(dir, 'etcd-2026-12-05T01-02-04.004.log'), 'utf8'), line + line);
  assert.equal(fs.readFileSync(path.join(dir, 'etcd.log'), 'utf8'), line);
  assert.equal(fs.statSync(path.join(dir, 'etcd.log')).mode & 0o777, 0o600);
  fs.rmSync(dir, { recursive: true });
});

test('an existing file is appended to, or rotated at start when already full', async () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'etcd.log'), 'a\n');
  const f = new RotatingLogFile(settings(dir), clock().now);
  f.write('b\n');
  f.close();
  assert.equal(fs.readFileSync(path.join(dir, 'etcd.log'), 'utf8'), 'a\nb\n');
  fs.writeFileSync(path.join(dir, 'etcd.log'), 'y'.repeat(100));
  const g = new RotatingLogFile(settings(dir), clock().now);
  await g.settled();
  g.close();
  assert.equal(fs.readdirSync(dir).length, 2);
  assert.equal(fs.statSync(path.join(dir, 'etcd.log')).size, 0);
  fs.rmSync(dir, { recursive: true });
});

test('maxbackups keeps the newest backups; maxage removes older ones; compress gzips the rest', async () => {
  const dir = tempDir();
  const c = clock();
  fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'keep me');
  const f = new RotatingLogFile(settings(dir, { maxBackups: 2, compress: true }), c.now);
  for (let i = 0; i < 5; i++) {
    f.write(`${String(i).repeat(99)}\n`); // 100 bytes: each write after the first rotates
    c.advance(60_000);
  }
  await f.settled();
  f.close();
  const names = fs.readdirSync(dir).sort();
  assert.deepEqual(names, ['etcd-2026-12-05T01-05-03.004.log.gz', 'etcd-2026-12-05T01-06-03.004.log.gz', 'etcd.log', 'unrelated.txt']);
  assert.equal(gunzipSync(fs.readFileSync(path.join(dir, names[1]!))).toString(), `${'3'.repeat(99)}\n`);
  assert.equal(fs.readFileSync(path.join(dir, 'etcd.log'), 'utf8'), `${'4'.repeat(99)}\n`);

  const day = 24 * 3600 * 1000;
  // Started on a full file: rotated at once (backup 01:07:03).
  const g = new RotatingLogFile(settings(dir, { maxAgeDays: 1, compress: true }), c.now);
  await g.settled();
  assert.equal(fs.readdirSync(dir).length, 5);
  c.advance(day - 33_000); // now 12-06T01:06:30: the 01:05 and 01:06 backups are past a day
  g.write(`${'5'.repeat(99)}\n`);
  g.write(`${'6'.repeat(99)}\n`);
  await g.settled();
  g.close();
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    'etcd-2026-12-05T01-07-03.004.log.gz',
    'etcd-2026-12-06T01-06-30.004.log.gz',
    'etcd.log',
    'unrelated.txt',
  ]);
  fs.rmSync(dir, { recursive: true });
});

test("rotation settings: MB sizes, lumberjack's defaults, a single file output", () => {
  const r = logRotation(
    ['/var/log/etcd.log'],
    '{"maxsize": 1, "maxbackups": 3, "MaxAge": 7, "localtime": true, "compress": true, "zzz": 1}',
  );
  assert.deepEqual(r, { path: '/var/log/etcd.log', maxBytes: 1024 * 1024, maxAgeDays: 7, maxBackups: 3, localTime: true, compress: true });
  assert.equal(logRotation(['stderr', 'x.log'], 'null')?.maxBytes, 100 * 1024 * 1024);
  assert.equal(logRotation(['stderr', 'stdout'], '{}'), undefined, 'several outputs and no file: accepted, nothing rotated');
  assert.throws(() => logRotation(['stderr'], '{}'), ConfigError);
  assert.throws(() => logRotation(['a.log', 'b.log'], '{}'), ConfigError);
});

/** The `error` field of the first JSON line on stderr that has one. */
function errorOf(stderr: string): unknown {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((o) => o['error'] !== undefined)?.['error'];
}

test("bad rotation flags: etcd 3.6's error text, exit 1, for each case", { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const cases: string[][] = [
    ['--log-outputs', 'stderr'],
    ['--log-outputs', 'a.log,b.log'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": "a"}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": 1.5, "compress": 1}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxage": [1]}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"localtime": {}}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": 99999999999999999999}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '[]'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"a'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": 1,}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": 1} x'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', 'tru'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize": 1.}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"maxsize" 1}'],
    ['--log-outputs', 'x.log', '--log-rotation-config-json', '{"a": "\\x"}'],
  ];
  try {
    for (const [i, flags] of cases.entries()) {
      const args = ['--data-dir', path.join(dir, `d${i}`), '--enable-log-rotation', ...flags];
      const etcd = await run(toolPath('etcd'), args, { timeoutMs: 20_000, cwd: dir });
      const ts = await runEtcdTs(args, { cwd: dir });
      const want = errorOf(etcd.stderr);
      assert.equal(typeof want, 'string', `etcd refused ${flags.join(' ')}: ${etcd.stderr.slice(-300)}`);
      assert.equal(ts.code, 1, flags.join(' '));
      assert.equal(errorOf(ts.stderr), want, flags.join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a member whose debug log passes maxsize (1 MB) rotates it, keeping maxbackups', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const file = path.join(dir, 'logs', 'member.log');
  const m = await startProcessMember({
    extraArgs: [
      '--log-level',
      'debug',
      '--log-outputs',
      file,
      '--enable-log-rotation',
      '--log-rotation-config-json',
      '{"maxsize": 1, "maxbackups": 1}',
    ],
  });
  const client = new EtcdClient(m.endpoint);
  try {
    // Each refused Range (a future revision) logs one debug line of about 150 bytes.
    for (let round = 0; round < 120; round++) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          client.call('etcdserverpb.KV', 'Range', { key: Buffer.from('k'), revision: 1_000_000 }).catch(() => undefined),
        ),
      );
    }
  } finally {
    client.close();
    await m.stop();
  }
  const names = fs.readdirSync(path.dirname(file)).sort();
  assert.equal(names.length, 2, names.join(' '));
  assert.match(names[0]!, /^member-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}\.log$/);
  assert.equal(names[1], 'member.log');
  const backup = fs.statSync(path.join(dir, 'logs', names[0]!)).size;
  assert.ok(backup <= 1024 * 1024 && backup > 1024 * 1024 - 1000, `backup is full: ${backup}`);
  assert.ok(fs.statSync(file).size < 1024 * 1024);
  assert.match(fs.readFileSync(file, 'utf8'), /"msg":"request failed"/);
  fs.rmSync(dir, { recursive: true, force: true });
});
