// Auth on three members: enabled through one member it applies on all; Go clientv3 with
// Username/Password keeps working across a token expiry (--auth-token-ttl) and a leader change,
// and a deleted user's token stops working on every member (test/go/authclient); a member that
// was down while users changed catches up by snapshot and enforces the new users; a restart of
// every member keeps auth enabled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessCluster } from '../helpers/cluster';
import { goTestFailures, runEtcdctl, runGoTest, withoutClientLogs } from '../helpers/tools';

const TTL_S = 2;
const ROOT = ['--user', 'root:rootpw'];

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const r = await runEtcdctl(endpoint, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} on ${endpoint}: ${withoutClientLogs(r.stderr)}`);
  return r.stdout;
}

async function refused(endpoint: string, args: string[]): Promise<string> {
  const r = await runEtcdctl(endpoint, args);
  assert.notEqual(r.code, 0, `etcdctl ${args.join(' ')} on ${endpoint} should fail`);
  return withoutClientLogs(r.stderr).trim();
}

/** Polls `f` until it resolves without throwing (10 s). */
async function eventually<T>(f: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

test(
  'auth on three members: enable on one applies on all; clientv3 re-authenticates across token expiry and leader change; snapshot catch-up; restart',
  { timeout: 240_000 },
  async () => {
    const c = await ProcessCluster.create(3, {
      extraArgs: ['--auth-token-ttl', String(TTL_S), '--bcrypt-cost', '4', '--snapshot-count', '40', '--snapshot-catchup-entries', '10'],
    });
    try {
      await c.startAll();
      await c.waitLeader();
      const e0 = c.endpoint(0);
      for (const args of [
        ['user', 'add', 'root:rootpw'],
        ['user', 'grant-role', 'root', 'root'],
        ['role', 'add', 'app'],
        ['role', 'grant-permission', 'app', 'readwrite', '/app/', '--prefix'],
        ['user', 'add', 'app:apppw'],
        ['user', 'grant-role', 'app', 'app'],
        ['auth', 'enable'],
      ])
        await ctl(e0, args);
      c.user = ROOT;
      const status0 = await ctl(e0, [...ROOT, 'auth', 'status']);
      for (const i of [0, 1, 2]) {
        const e = c.endpoint(i);
        assert.equal(await eventually(() => ctl(e, [...ROOT, 'auth', 'status'])), status0, `member ${i}`);
        assert.equal(await refused(e, ['put', '/app/x', '1']), 'Error: etcdserver: user name is empty', `member ${i}`);
        assert.equal(await refused(e, ['--user', 'app:apppw', 'put', '/x', '1']), 'Error: etcdserver: permission denied', `member ${i}`);
      }

      const go = await runGoTest('authclient.test', c.endpoints(), [], { timeoutMs: 120_000, env: { AUTH_TOKEN_TTL: String(TTL_S) } });
      assert.equal(go.code, 0, `authclient.test failed:\n${goTestFailures(go.output)}`);
      assert.match(go.output, /--- PASS: TestReauthAcrossTokenExpiryAndLeaderChange/);
      assert.match(go.output, /--- PASS: TestDeletedUserTokenStopsEverywhere/);

      // A member down while users change, and more than --snapshot-count entries are written.
      const leader = await c.waitLeader();
      const lagging = (leader + 1) % 3;
      await c.members[lagging]!.stop();
      c.members[lagging] = undefined;
      const up = c.endpoint(leader);
      await ctl(up, [...ROOT, 'user', 'add', 'late:latepw']);
      await ctl(up, [...ROOT, 'user', 'grant-role', 'late', 'app']);
      await ctl(up, [...ROOT, 'role', 'revoke-permission', 'app', '/app/', '--prefix']);
      await ctl(up, [...ROOT, 'role', 'grant-permission', 'app', 'read', '/app/', '--prefix']);
      for (let i = 0; i < 50; i++) await ctl(up, [...ROOT, 'put', `/app/k${i}`, String(i)]);
      const m = await c.start(lagging);
      const e = c.endpoint(lagging);
      const count = await eventually(async () => {
        const out = await ctl(e, [
          '--user',
          'late:latepw',
          '--consistency',
          's',
          'get',
          '/app/k',
          '--prefix',
          '--count-only',
          '-w',
          'fields',
        ]);
        const n = /"Count" : (\d+)/.exec(out)?.[1];
        assert.equal(n, '50');
        return n;
      });
      assert.equal(count, '50');
      assert.match(m.stderr(), /installed snapshot from leader/);
      assert.equal(await refused(e, ['--user', 'late:latepw', 'put', '/app/k1', 'x']), 'Error: etcdserver: permission denied');
      assert.equal(
        await refused(e, ['--user', 'tmp:tmppw', 'get', '/app/k1']),
        'Error: etcdserver: authentication failed, invalid user ID or password',
      );

      // Every member restarted: auth stays enabled, users and permissions as they were.
      await c.stopAll();
      await c.startAll();
      await eventually(() => ctl(c.endpoint(0), [...ROOT, 'auth', 'status']));
      for (const i of [0, 1, 2]) {
        assert.equal(await refused(c.endpoint(i), ['get', '/app/k1']), 'Error: etcdserver: user name is empty', `member ${i}`);
        assert.match(
          await eventually(() => ctl(c.endpoint(i), ['--user', 'late:latepw', 'get', '/app/k1', '--print-value-only'])),
          /^1\n$/,
        );
      }
    } finally {
      await c.destroy();
    }
  },
);
