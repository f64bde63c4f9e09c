/**
 * node's own flags on bin/etcd-ts's first line (`#!/usr/bin/env -S node ...`): executing the file,
 * as a user, a service unit or the Docker image's /usr/local/bin/etcd does, starts node with them
 * (V8's young generation capped at 4 MB a semi-space: see "Memory" in the README), the member logs
 * them when it is ready, and the test helpers start members with the same ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { etcdTsBin, etcdTsNodeFlags, memberArgs, statusReady } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { waitForChild } from '../helpers/tools';

test('executing bin/etcd-ts runs node with the flags of its first line, and the member logs them', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-flags-'));
  const clientPort = await freePort();
  const child = spawn(etcdTsBin(), memberArgs('flags', path.join(dir, 'data'), clientPort, await freePort()), {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = waitForChild(child, 30_000);
  try {
    const deadline = Date.now() + 20_000;
    while (!stderr.includes('ready to serve client requests')) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `member did not start: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await statusReady(`127.0.0.1:${clientPort}`));
  } finally {
    child.kill('SIGTERM');
    await done;
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const line = stderr.split('\n').find((l) => l.includes('ready to serve client requests'))!;
  const logged = (JSON.parse(line) as { 'node-flags'?: string[] })['node-flags'];
  assert.deepEqual(logged, ['--max-semi-space-size=4']);
  assert.deepEqual(etcdTsNodeFlags(), logged, 'the helpers start members with the same node flags');
});
