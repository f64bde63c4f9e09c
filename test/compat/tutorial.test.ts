// The clientv3 tutorial program (test/go/tutorial/logagent, built as .tools/bin/logagent) against
// real etcd 3.6 and etcd-ts: connect, put, get, get by prefix, delete, with the output it prints.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningMember } from '../helpers/running-member';
import { run, toolPath } from '../helpers/tools';
import { targets } from './targets';

for (const target of targets()) {
  describe(`logagent tutorial against ${target.label}`, () => {
    let member: RunningMember | undefined;
    before(async () => {
      member = await target.start();
    });
    after(async () => {
      await member?.stop();
    });

    test('prints what the tutorial shows, twice in a row', async () => {
      assert.ok(member, `${target.label} did not start`);
      for (const expectedRev of [2, 4]) {
        const r = await run(toolPath('logagent'), [], { env: { ETCD_ENDPOINTS: member.endpoint }, timeoutMs: 30_000 });
        assert.equal(r.code, 0, `logagent failed:\n${r.stdout}\n${r.stderr}`);
        const lines = r.stdout.split('\n');
        assert.equal(lines[0], 'connect success');
        // Header.String() is gogoproto's compact text form, with a trailing space. A fresh
        // single-member etcd is at raft term 2 (term 1 as follower, 2 after its election).
        assert.match(
          lines[1] ?? '',
          new RegExp(`^revision: ${expectedRev}, value: cluster_id:\\d+ member_id:\\d+ revision:${expectedRev} raft_term:\\d+ $`),
        );
        assert.deepEqual(lines.slice(2), [
          '/logagent/conf/:sample_value', // Get
          '/logagent/conf/:sample_value', // Get with prefix
          'deleted: 1',
          '',
        ]);
      }
    });
  });
}
