/**
 * Go clientv3 lease and lock tests against an in-process etcd-ts member (the member serves the
 * Lease, Lock and Election services itself).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Config } from '../../src/server/config';
import { startMember, type TestMember } from '../helpers/member';
import { goTestFailures, repoRoot, runGoTest } from '../helpers/tools';

export function startLeaseMember(overrides: Partial<Config> = {}): Promise<TestMember> {
  return startMember(overrides);
}

/**
 * Registers a test (with its before/after hooks) that runs the Go test binary .tools/bin/<binary>
 * against a member started by startLeaseMember; skipped until test/tools/install.sh has built it.
 */
export function goTestAgainstLeaseMember(binary: string, title: string): void {
  const bin = path.join(repoRoot(), '.tools', 'bin', binary);
  let member: TestMember | undefined;

  before(async () => {
    if (fs.existsSync(bin)) member = await startLeaseMember();
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
