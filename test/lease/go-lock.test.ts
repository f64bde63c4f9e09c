// The Go v3lock/v3election tests (test/go/lock, built as .tools/bin/lock.test) against an
// in-process etcd-ts member with leases, Lock and Election wired (through the temporary shim in
// wired-member.ts until the server wires them itself).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runGoTest } from '../helpers/tools';
import type { TestMember } from '../helpers/member';
import { startLeaseMember } from './wired-member';

const bin = path.join(repoRoot(), '.tools', 'bin', 'lock.test');
let member: TestMember | undefined;

before(async () => {
  if (fs.existsSync(bin)) member = await startLeaseMember();
});

after(async () => {
  await member?.stop();
});

test('Go v3lock/v3election tests pass against etcd-ts', { skip: fs.existsSync(bin) ? false : 'run test/tools/install.sh first' }, async () => {
  const r = await runGoTest(bin, member!.endpoint, [], { timeoutMs: 180_000 });
  const failures = r.output.split('\n').filter((l) => /--- FAIL|_test\.go:\d+:|panic/.test(l));
  assert.equal(r.code, 0, `lock.test failed:\n${failures.join('\n') || r.output.slice(-3000)}`);
  assert.match(r.output, /^PASS$/m);
});
