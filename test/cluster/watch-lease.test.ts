/**
 * Watch and lease behaviour that needs a cluster: a watch on a follower sees the leader's writes
 * in order; lease expiry through the log, whichever member the client used; a leader killed
 * while leases live neither expires live ones early nor keeps dead ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ProcessCluster } from '../helpers/cluster';
import { runEtcdctl, toolPath } from '../helpers/tools';

function startEtcdctl(endpoints: string, args: string[]): { out: () => string; kill: () => void } {
  const child = spawn(toolPath('etcdctl'), ['--endpoints', endpoints, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { out: () => out, kill: () => child.kill('SIGKILL') };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
  return Date.now() - t0;
}

async function exists(endpoints: string, key: string): Promise<boolean> {
  const r = await runEtcdctl(endpoints, ['get', key, '--count-only', '-w', 'fields'], { timeoutMs: 10_000 });
  return /"Count" : 1/.test(r.stdout);
}

test("a watch on a follower sees the leader's writes, in order", { timeout: 120_000 }, async () => {
  const c = await ProcessCluster.create(3);
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const follower = (leader + 1) % 3;
    const w = startEtcdctl(c.endpoint(follower), ['watch', '--prefix', '/fw/']);
    await sleep(500);
    for (let i = 0; i < 30; i++) {
      assert.equal((await runEtcdctl(c.endpoint(leader), ['put', `/fw/k${String(i).padStart(2, '0')}`, `v${i}`])).stdout.trim(), 'OK');
    }
    // etcdctl prints an event as three lines; the pipe may hand them over in pieces, so wait for
    // the value line of the 30th event, not for its PUT line.
    await until(() => (w.out().match(/^v\d+\n/gm) ?? []).length >= 30, 20_000, 'the follower watch to see 30 events');
    w.kill();
    const lines = w.out().trim().split('\n');
    const keys: string[] = [];
    for (let i = 0; i < lines.length; i += 3) {
      assert.equal(lines[i], 'PUT');
      keys.push(lines[i + 1]!);
      assert.equal(lines[i + 2], `v${Number(lines[i + 1]!.slice(5))}`);
    }
    assert.deepEqual(
      keys,
      Array.from({ length: 30 }, (_, i) => `/fw/k${String(i).padStart(2, '0')}`),
    );
  } finally {
    await c.destroy();
  }
});

test(
  'lease expiry through the log: a 5 s lease kept alive through a follower expires about 5 s after its last keep-alive',
  { timeout: 120_000 },
  async () => {
    const c = await ProcessCluster.create(3);
    try {
      await c.startAll();
      const leader = await c.waitLeader();
      const follower = (leader + 2) % 3;
      const grant = await runEtcdctl(c.endpoint(follower), ['lease', 'grant', '5']);
      const id = /lease (\w+) granted with TTL\(5s\)/.exec(grant.stdout)?.[1];
      assert.ok(id, grant.stdout + grant.stderr);
      assert.equal((await runEtcdctl(c.endpoint(follower), ['put', '--lease', id, '/lease/k', 'v'])).stdout.trim(), 'OK');
      const ka = startEtcdctl(c.endpoint(follower), ['lease', 'keep-alive', id]);
      await sleep(7000);
      assert.ok(await exists(c.endpoint(leader), '/lease/k'), 'kept-alive key expired early');
      assert.match(ka.out(), new RegExp(`lease ${id} keepalived with TTL\\(5\\)`));
      ka.kill();
      const t = await until(async () => !(await exists(c.endpoints(), '/lease/k')), 15_000, 'the key to expire');
      console.log(`# key gone ${t} ms after the keep-alive client was killed (TTL 5 s)`);
      assert.ok(t >= 3000 && t <= 9000, `expired ${t} ms after the last keep-alive`);
      const ttl = await runEtcdctl(c.endpoint(follower), ['lease', 'timetolive', id]);
      assert.match(ttl.stdout, /already expired/);
    } finally {
      await c.destroy();
    }
  },
);

test('killing the leader neither expires a kept-alive lease early nor keeps an abandoned one', { timeout: 120_000 }, async () => {
  const c = await ProcessCluster.create(3);
  try {
    await c.startAll();
    const lease = async (ttl: number): Promise<string> => {
      const g = await runEtcdctl(c.endpoints(), ['lease', 'grant', String(ttl)]);
      return /lease (\w+) granted/.exec(g.stdout)![1]!;
    };
    const live = await lease(6);
    const dead = await lease(6);
    assert.equal((await runEtcdctl(c.endpoints(), ['put', '--lease', live, '/ll/live', 'x'])).stdout.trim(), 'OK');
    assert.equal((await runEtcdctl(c.endpoints(), ['put', '--lease', dead, '/ll/dead', 'x'])).stdout.trim(), 'OK');
    const ka = startEtcdctl(c.endpoints(), ['lease', 'keep-alive', live]);
    await sleep(2000);
    const leader = await c.waitLeader();
    await c.kill(leader);
    const up = [0, 1, 2].filter((i) => i !== leader);
    await c.waitLeader(15_000, leader);
    const gone = await until(async () => !(await exists(c.endpoints(up), '/ll/dead')), 25_000, 'the abandoned lease to expire');
    console.log(`# abandoned 6 s lease expired ${gone + 2000} ms after its grant, across a leader change`);
    assert.ok(await exists(c.endpoints(up), '/ll/live'), 'the kept-alive lease expired across the leader change');
    await sleep(7000);
    assert.ok(await exists(c.endpoints(up), '/ll/live'), 'the kept-alive lease expired after the leader change');
    ka.kill();
  } finally {
    await c.destroy();
  }
});
