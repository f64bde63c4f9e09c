/** Runs a compiled Go clientv3 test program against an in-process etcd-ts member. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startMember, type TestMember } from './member';
import { goTestFailures, repoRoot, runGoTest } from './tools';

/**
 * Registers a test (with its before/after hooks) that runs the Go test binary .tools/bin/<binary>
 * against a member started by startMember; skipped until test/tools/install.sh has built it.
 */
export function goTestAgainstMember(binary: string, title: string): void {
  const bin = path.join(repoRoot(), '.tools', 'bin', binary);
  let member: TestMember | undefined;

  before(async () => {
    if (fs.existsSync(bin)) member = await startMember();
  });

  after(async () => {
    await member?.stop();
  });

  test(title, { skip: fs.existsSync(bin) ? false : 'run test/tools/install.sh first' }, async () => {
    const r = await runGoTest(bin, member!.endpoint, [], { timeoutMs: 180_000 });
    assert.equal(r.code, 0, `${binary} failed:\n${goTestFailures(r.output)}`);
    assert.match(r.output, /^PASS$/m);
  });
}
