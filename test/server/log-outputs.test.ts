/**
 * --log-outputs with several outputs (stdout and a file) and --log-format console, as etcd's zap
 * logger: every line goes to every output, in zap's console form (time, level, message, then the
 * fields as JSON); nothing of it on stderr. A file output that cannot be created fails the start
 * with etcd 3.6's text, exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { etcdTsBin, memberArgs, runEtcdTs, statusReady } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { run, toolPath, waitForChild } from '../helpers/tools';

test('stdout and a file both get every line, in console format; stderr gets none of them', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-outputs-'));
  const file = path.join(dir, 'member.log');
  const clientPort = await freePort();
  const args = [
    ...memberArgs('logs', path.join(dir, 'data'), clientPort, await freePort()),
    '--log-outputs',
    `stdout,${file}`,
    '--log-format',
    'console',
  ];
  const child = spawn(process.execPath, [etcdTsBin(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const done = waitForChild(child, 30_000);
  try {
    const deadline = Date.now() + 20_000;
    while (!(await statusReady(`127.0.0.1:${clientPort}`))) {
      assert.ok(Date.now() < deadline, 'member did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // the async destinations flush
  } finally {
    child.kill('SIGTERM');
  }
  const { stdout, stderr } = await done;
  const fileText = fs.readFileSync(file, 'utf8');
  for (const [where, text] of [
    ['stdout', stdout],
    ['file', fileText],
  ] as const) {
    const line = text.split('\n').find((l) => l.includes('\tserving client traffic\t'));
    assert.ok(line !== undefined, `${where}: ${text.slice(0, 500)}`);
    const [ts, level, msg, fields] = line.split('\t');
    assert.match(ts!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    assert.equal(level, 'info');
    assert.equal(msg, 'serving client traffic');
    assert.match(fields!, /^\{"name": "logs", .*"listen-client-urls": \["http:\/\/127\.0\.0\.1:\d+"\]/);
  }
  assert.ok(fileText.includes('\tstopped'), 'the file has the last line too');
  assert.doesNotMatch(stderr, /serving client traffic/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a log file that cannot be created: exit 1 with etcd 3.6 text', { timeout: 60_000 }, async () => {
  const bad = '/nonexistent-etcd-ts-dir/x.log';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-outputs-'));
  const errorOf = (stderr: string): unknown =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((o) => o['error'] !== undefined)?.['error'];
  const etcd = await run(toolPath('etcd'), ['--data-dir', path.join(dir, 'e'), '--log-outputs', `stderr,${bad}`], { timeoutMs: 20_000 });
  const ts = await runEtcdTs(['--data-dir', path.join(dir, 't'), '--log-outputs', `stderr,${bad}`]);
  assert.equal(etcd.code, 1);
  assert.equal(ts.code, 1);
  assert.equal(errorOf(ts.stderr), errorOf(etcd.stderr));
  assert.equal(fs.existsSync(path.join(dir, 't')), false, 'the data dir is not created');
  fs.rmSync(dir, { recursive: true, force: true });
});
