/**
 * The NOSPACE alarm in a three-member cluster (processes on loopback, --quota-backend-bytes on
 * every member): raised by the follower that refused a put, seen by every member, enforced on
 * writes sent to any member (the capped applier runs everywhere), kept across a restart, and
 * cleared for everyone by one `etcdctl alarm disarm`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessCluster, status } from '../helpers/cluster';
import { runEtcdctl } from '../helpers/tools';

const NOSPACE = 'Error: etcdserver: mvcc: database space exceeded';
const VALUE = 'v'.repeat(50_000);

async function ctl(endpoint: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runEtcdctl(endpoint, args, { timeoutMs: 20_000 });
  return {
    code: r.code,
    out: r.stdout.trim(),
    err: r.stderr
      .split('\n')
      .filter((l) => l.startsWith('Error'))
      .join('\n'),
  };
}

test(
  'three members: NOSPACE raised by a follower is seen and enforced by all, survives a restart, disarmed once',
  { timeout: 180_000 },
  async () => {
    const c = await ProcessCluster.create(3, { extraArgs: ['--quota-backend-bytes', '400000'] });
    try {
      await c.startAll();
      const leader = await c.waitLeader();
      const follower = [0, 1, 2].find((i) => i !== leader)!;
      const other = [0, 1, 2].find((i) => i !== leader && i !== follower)!;
      const followerId = (await status(c.endpoint(follower)))!.memberId;

      let filled = 0;
      let last = await ctl(c.endpoint(follower), ['put', 'big/0', VALUE]);
      while (last.code === 0 && filled < 40) {
        filled++;
        last = await ctl(c.endpoint(follower), ['put', `big/${filled}`, VALUE]);
      }
      assert.ok(filled > 0 && filled < 40, `${filled} puts of 50 KB fit in 400 KB`);
      assert.equal(last.err, NOSPACE);

      for (const i of [0, 1, 2]) {
        const l = await ctl(c.endpoint(i), ['alarm', 'list']);
        assert.equal(l.out, `memberID:${followerId} alarm:NOSPACE`, `alarm list on member ${i}`);
        assert.equal((await ctl(c.endpoint(i), ['put', 'small', 'v'])).err, NOSPACE, `small put through member ${i}`);
      }
      const leaderStatus = await ctl(c.endpoint(leader), ['endpoint', 'status', '-w', 'json']);
      assert.match(leaderStatus.out, new RegExp(`"errors":\\["memberID:${followerId} alarm:NOSPACE "\\]`));

      // A restarted member still has it.
      await c.kill(other, 'SIGTERM');
      await c.start(other);
      assert.equal((await ctl(c.endpoint(other), ['alarm', 'list'])).out, `memberID:${followerId} alarm:NOSPACE`);

      // Recovery, as etcd documents it: free space, then disarm (through another member).
      assert.equal((await ctl(c.endpoint(leader), ['del', 'big/', '--prefix'])).out, String(filled));
      const rev = /"revision":(\d+)/.exec((await ctl(c.endpoint(leader), ['endpoint', 'status', '-w', 'json'])).out)![1]!;
      assert.equal((await ctl(c.endpoint(leader), ['compact', rev, '--physical'])).code, 0);
      assert.equal((await ctl(c.endpoint(other), ['alarm', 'disarm'])).out, `memberID:${followerId} alarm:NOSPACE`);
      for (const i of [0, 1, 2]) {
        assert.equal((await ctl(c.endpoint(i), ['alarm', 'list'])).out, '', `alarm list on member ${i} after disarm`);
        assert.equal((await ctl(c.endpoint(i), ['put', `small/${i}`, 'v'])).out, 'OK', `put through member ${i} after disarm`);
      }
    } finally {
      await c.destroy();
    }
  },
);
