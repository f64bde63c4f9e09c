import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { ETCD_VERSION } from '../../src/version';

const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'etcd-ts');

/** Environment without ETCD_* variables, so the host's environment cannot change the outcome. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ETCD_')) env[k] = v;
  return env;
}

function runBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv() }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('bin/etcd-ts --bogus-flag exits 1 with one line', async () => {
  const r = await runBin(['--bogus-flag']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'flag provided but not defined: -bogus-flag\n');
});

test('bin/etcd-ts --version exits 0 with etcd-shaped output', async () => {
  const r = await runBin(['--version']);
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 4);
  assert.equal(lines[0], `etcd Version: ${ETCD_VERSION}`);
  assert.equal(lines[1], 'Git SHA: etcd-ts');
  assert.equal(lines[2], `Go Version: node ${process.version}`);
  assert.match(lines[3] ?? '', /^Go OS\/Arch: \w+\/\w+$/);
  assert.equal(r.stderr, '');
});

test('bin/etcd-ts --listen-client-urls without --advertise-client-urls exits 1 with one line', async () => {
  const r = await runBin(['--listen-client-urls', 'http://127.0.0.1:1']);
  assert.equal(r.code, 1);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const m = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(m['error'], '--advertise-client-urls is required when --listen-client-urls is set explicitly');
});
