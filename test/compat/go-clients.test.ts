// Every compiled Go client test binary (.tools/bin/*.test, built by test/tools/install.sh from
// test/go) against a fresh real etcd 3.6 and a fresh etcd-ts member. The Go tests encode real
// etcd's behaviour; they must pass unchanged against both. (tlsclient.test needs a TLS server:
// test/tls/client-tls.test.ts runs it; authclient.test needs a cluster with auth enabled:
// test/auth/auth-cluster.test.ts runs it.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningMember } from '../helpers/running-member';
import { goTestFailures, repoRoot, runGoTest } from '../helpers/tools';
import { targets } from './targets';

/** Binaries run elsewhere, against members set up for them (TLS, auth). */
const NEEDS_TLS = ['tlsclient.test', 'authclient.test'];

function goTestBinaries(): string[] {
  const dir = path.join(repoRoot(), '.tools', 'bin');
  const found = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.test') && !NEEDS_TLS.includes(f))
        .sort()
    : [];
  return found;
}

const binaries = goTestBinaries();

test('Go client test binaries are built', () => {
  assert.ok(binaries.length > 0, 'no .tools/bin/*.test: run test/tools/install.sh first');
});

for (const target of targets()) {
  describe(`Go clientv3 tests against ${target.label}`, () => {
    let member: RunningMember | undefined;
    before(async () => {
      member = await target.start();
    });
    after(async () => {
      await member?.stop();
    });
    for (const bin of binaries) {
      test(bin, async () => {
        assert.ok(member, `${target.label} did not start`);
        const r = await runGoTest(bin, member.endpoint);
        assert.equal(r.code, 0, `${bin} failed against ${target.label}:\n${goTestFailures(r.output)}`);
        assert.match(r.output, /^PASS$/m);
      });
    }
  });
}
