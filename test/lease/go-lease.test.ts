// The Go clientv3 lease tests (test/go/lease, built as .tools/bin/lease.test by
// test/tools/install.sh) against an in-process etcd-ts member with leases wired (through the
// temporary shim in wired-member.ts until the member wires them itself).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot, runGoTest } from '../helpers/tools';
import type { TestMember } from '../helpers/member';
import { startLeaseMember } from './wired-member';

const bin = path.join(repoRoot(), '.tools', 'bin', 'lease.test');
let member: TestMember | undefined;

before(async () => {
  if (fs.existsSync(bin)) member = await startLeaseMember();
});

after(async () => {
  await member?.stop();
});

test('Go clientv3 lease tests pass against etcd-ts', { skip: fs.existsSync(bin) ? false : 'run test/tools/install.sh first' }, async () => {
  const r = await runGoTest(bin, member!.endpoint, [], { timeoutMs: 180_000 });
  const failures = r.output.split('\n').filter((l) => /--- FAIL|_test\.go:\d+:|panic/.test(l));
  assert.equal(r.code, 0, `lease.test failed:\n${failures.join('\n') || r.output.slice(-3000)}`);
  assert.match(r.output, /^PASS$/m);
});
