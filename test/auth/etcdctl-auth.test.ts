// Authentication and role-based access through etcdctl 3.6, against real etcd 3.6 and etcd-ts
// started the same way in the same run: users, roles, permissions on single keys, prefixes and
// from-key ranges, auth enable, allowed and denied puts, gets, deletes, txns, watches, lease
// revokes and compactions, the admin-only and self-service RPCs, etcd's refusals, a deleted
// user, a password change and auth disable. Every step's exit code, stdout and stderr (client
// retry logs dropped, ids and lease ids normalised) must be the same, AuthRevision included.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';
import { runEtcdctl, type RunResult } from '../helpers/tools';
import { identify, normalise, type Identity } from '../compat/normalise';

let real: RunningMember | undefined;
let ours: RunningMember | undefined;

before(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startMember } = require('../helpers/member') as typeof import('../helpers/member');
  [real, ours] = await Promise.all([startRealEtcd({ extraArgs: ['--bcrypt-cost=4'] }), startMember({ bcryptCost: 4 })]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.stop()]);
});

const ROOT = ['--user', 'root:rootpw'];
const ALICE = ['--user', 'alice:alicepw'];

async function scenario(m: RunningMember): Promise<[string, RunResult][]> {
  const id: Identity = await identify(m);
  const steps: [string, RunResult][] = [];
  const leases: string[] = [];
  const fix = (r: RunResult): RunResult => {
    const n = normalise(r, id);
    let out = n.stdout;
    for (const m2 of out.matchAll(/lease ([0-9a-f]+) granted/g)) if (!leases.includes(m2[1]!)) leases.push(m2[1]!);
    leases.forEach((l, i) => (out = out.split(l).join(`<LEASE${i}>`)));
    const took = (x: string): string => x.replace(/took [0-9.]+[a-zµ]*s/g, 'took <TOOK>');
    return { ...n, stdout: took(out), stderr: took(n.stderr) };
  };
  const ctl = async (label: string, args: string[], stdin?: string): Promise<RunResult> => {
    const r = fix(await runEtcdctl(m.endpoint, args, stdin === undefined ? {} : { stdin }));
    steps.push([label, r]);
    return r;
  };
  const lease = (i: number): string => leases[i]!;

  await ctl('auth enable without root', ['auth', 'enable']);
  await ctl('add root', ['user', 'add', 'root:rootpw']);
  await ctl('add alice', ['user', 'add', 'alice:alicepw']);
  await ctl('add alice again', ['user', 'add', 'alice:other']);
  await ctl('add bob without password', ['user', 'add', 'bob', '--no-password']);
  await ctl('add role reader', ['role', 'add', 'reader']);
  await ctl('add role writer', ['role', 'add', 'writer']);
  await ctl('add role reader again', ['role', 'add', 'reader']);
  await ctl('reader reads /r/*', ['role', 'grant-permission', 'reader', 'read', '/r/', '--prefix']);
  await ctl('reader reads from /z on', ['role', 'grant-permission', 'reader', 'read', '/z', '--from-key']);
  await ctl('writer readwrite /w/*', ['role', 'grant-permission', 'writer', 'readwrite', '/w/', '--prefix']);
  await ctl('writer writes /only-w', ['role', 'grant-permission', 'writer', 'write', '/only-w']);
  await ctl('writer readwrite [/k1, /k5)', ['role', 'grant-permission', 'writer', 'readwrite', '/k1', '/k5']);
  await ctl('grant on a missing role', ['role', 'grant-permission', 'nope', 'read', '/x']);
  await ctl('grant two roles at once', ['user', 'grant-role', 'alice', 'reader', 'writer']);
  await ctl('alice gets reader', ['user', 'grant-role', 'alice', 'reader']);
  await ctl('alice gets writer', ['user', 'grant-role', 'alice', 'writer']);
  await ctl('alice gets writer again', ['user', 'grant-role', 'alice', 'writer']);
  await ctl('grant a missing role', ['user', 'grant-role', 'alice', 'nope']);
  await ctl('grant to a missing user', ['user', 'grant-role', 'nobody', 'reader']);
  await ctl('role get writer', ['role', 'get', 'writer']);
  await ctl('role get missing', ['role', 'get', 'nope']);
  await ctl('user get alice', ['user', 'get', 'alice']);
  await ctl('user get alice --detail', ['user', 'get', 'alice', '--detail']);
  await ctl('user list', ['user', 'list']);
  await ctl('role list', ['role', 'list']);
  await ctl('put before enable', ['put', '/r/1', 'r1']);
  await ctl('auth enable', ['auth', 'enable']);
  await ctl('auth status as root', [...ROOT, 'auth', 'status']);
  await ctl('put without a user', ['put', '/w/1', 'x']);
  await ctl('get without a user', ['get', '/r/1']);
  await ctl('wrong password', ['--user', 'alice:wrong', 'get', '/r/1']);
  await ctl('unknown user', ['--user', 'carol:x', 'get', '/r/1']);
  await ctl('no-password user with a password', ['--user', 'bob:x', 'get', '/r/1']);
  await ctl('alice puts /w/1', [...ALICE, 'put', '/w/1', 'w1']);
  await ctl('alice puts /r/2 (read only)', [...ALICE, 'put', '/r/2', 'x']);
  await ctl('alice gets /r/1', [...ALICE, 'get', '/r/1']);
  await ctl('alice gets /r/ prefix', [...ALICE, 'get', '/r/', '--prefix']);
  await ctl('alice gets everything', [...ALICE, 'get', '', '--prefix']);
  await ctl('alice gets /only-w (write only)', [...ALICE, 'get', '/only-w']);
  await ctl('alice puts /only-w', [...ALICE, 'put', '/only-w', 'o']);
  await ctl('alice puts /only-w --prev-kv', [...ALICE, 'put', '/only-w', 'o2', '--prev-kv']);
  await ctl('alice gets /z2 (from-key)', [...ALICE, 'get', '/z2']);
  await ctl('alice gets from /z on', [...ALICE, 'get', '/z', '--from-key']);
  await ctl('alice gets [/k2, /k4)', [...ALICE, 'get', '/k2', '/k4']);
  await ctl('alice gets [/k2, /k6)', [...ALICE, 'get', '/k2', '/k6']);
  await ctl('alice puts /k3', [...ALICE, 'put', '/k3', 'k']);
  await ctl('alice deletes /r/1', [...ALICE, 'del', '/r/1']);
  await ctl('alice deletes /w/ prefix', [...ALICE, 'del', '/w/', '--prefix']);
  await ctl('alice txn: read /r/1, put /w/t', [...ALICE, 'txn'], 'value("/r/1") = "r1"\n\nput /w/t yes\n\nput /w/t no\n\n');
  await ctl('alice txn: compare on /a (denied)', [...ALICE, 'txn'], 'value("/a") = "x"\n\nput /w/t yes\n\n\n');
  await ctl('alice txn: failure branch writes /r/3 (denied)', [...ALICE, 'txn'], 'value("/r/1") = "r1"\n\nput /w/t yes\n\nput /r/3 no\n\n');
  await ctl('alice read-only txn: get /r/1', [...ALICE, 'txn'], '\nget /r/1\n\n\n');
  await ctl('alice read-only txn: get /a (denied)', [...ALICE, 'txn'], '\nget /a\n\n\n');
  await ctl('alice watches /a (denied)', [...ALICE, 'watch', '/a']);
  await ctl('alice watches /z --prefix is not /z on (denied)', [...ALICE, 'watch', '/y', '--prefix']);
  await ctl('alice grants a lease', [...ALICE, 'lease', 'grant', '100']);
  await ctl('alice puts /w/l with it', [...ALICE, 'put', '/w/l', 'l', '--lease', lease(0)]);
  await ctl('alice time-to-live --keys', [...ALICE, 'lease', 'timetolive', lease(0), '--keys']);
  await ctl('alice revokes it', [...ALICE, 'lease', 'revoke', lease(0)]);
  await ctl('root grants a lease', [...ROOT, 'lease', 'grant', '100']);
  await ctl('root puts /r/l with it', [...ROOT, 'put', '/r/l', 'l', '--lease', lease(1)]);
  await ctl('alice attaches /w/m to it (denied)', [...ALICE, 'put', '/w/m', 'm', '--lease', lease(1)]);
  await ctl('alice revokes it (denied)', [...ALICE, 'lease', 'revoke', lease(1)]);
  await ctl('alice keeps it alive once (denied)', [...ALICE, 'lease', 'keep-alive', '--once', lease(1)]);
  await ctl('alice time-to-live (allowed without --keys)', [...ALICE, 'lease', 'timetolive', lease(1)]);
  await ctl('alice time-to-live --keys (allowed: read on /r/l)', [...ALICE, 'lease', 'timetolive', lease(1), '--keys']);
  await ctl('no user time-to-live', ['lease', 'timetolive', lease(1)]);
  await ctl('no user endpoint status', ['endpoint', 'status']);
  await ctl('no user lease grant', ['lease', 'grant', '10']);
  await ctl('alice lists leases', [...ALICE, 'lease', 'list']);
  await ctl('root revokes it', [...ROOT, 'lease', 'revoke', lease(1)]);
  await ctl('alice compacts (admin only)', [...ALICE, 'compact', '2']);
  await ctl('root compacts', [...ROOT, 'compact', '2']);
  await ctl('alice user get self', [...ALICE, 'user', 'get', 'alice']);
  await ctl('alice user get root (denied)', [...ALICE, 'user', 'get', 'root']);
  await ctl('alice role get reader (held)', [...ALICE, 'role', 'get', 'reader']);
  await ctl('alice role get root (denied)', [...ALICE, 'role', 'get', 'root']);
  await ctl('alice user list (denied)', [...ALICE, 'user', 'list']);
  await ctl('alice auth status (denied)', [...ALICE, 'auth', 'status']);
  await ctl('alice adds a user (denied)', [...ALICE, 'user', 'add', 'eve:x']);
  await ctl('alice alarm list', [...ALICE, 'alarm', 'list']);
  await ctl('alice defrag (denied)', [...ALICE, 'defrag']);
  await ctl('alice member list', [...ALICE, 'member', 'list']);
  await ctl('alice member remove (denied)', [...ALICE, 'member', 'remove', '1234']);
  await ctl('alice lock (denied: /lk not writable)', [...ALICE, 'lock', '/lk', 'echo', 'held']);
  await ctl('alice lock in /w/', [...ALICE, 'lock', '/w/lk', 'echo', 'held']);
  await ctl('alice campaigns for /el (denied)', [...ALICE, 'elect', '/el', 'v']);
  await ctl('alice observes /el (denied)', [...ALICE, 'elect', '/el', '--listen']);
  await ctl('alice hashkv (denied)', [...ALICE, 'endpoint', 'hashkv']);
  await ctl('alice move-leader (denied)', [...ALICE, 'move-leader', '1234']);
  await ctl('alice alarm disarm (denied)', [...ALICE, 'alarm', 'disarm']);
  await ctl('alice member list --consistency=l', [...ALICE, 'member', 'list', '--consistency=l']);
  await ctl('no user member list --consistency=l', ['member', 'list', '--consistency=l']);
  await ctl('no user member list --consistency=s', ['member', 'list', '--consistency=s']);
  await ctl('root role get root', [...ROOT, 'role', 'get', 'root']);
  await ctl('delete root while enabled', [...ROOT, 'user', 'delete', 'root']);
  await ctl('delete role root while enabled', [...ROOT, 'role', 'delete', 'root']);
  await ctl('revoke root from root', [...ROOT, 'user', 'revoke-role', 'root', 'root']);
  await ctl('revoke a role not granted', [...ROOT, 'user', 'revoke-role', 'alice', 'root']);
  await ctl('revoke a permission not granted', [...ROOT, 'role', 'revoke-permission', 'reader', '/nope']);
  await ctl('revoke writer /w/ prefix', [...ROOT, 'role', 'revoke-permission', 'writer', '/w/', '--prefix']);
  await ctl('alice puts /w/2 after the revoke', [...ALICE, 'put', '/w/2', 'x']);
  await ctl('revoke writer from alice', [...ROOT, 'user', 'revoke-role', 'alice', 'writer']);
  await ctl('alice puts /only-w after losing writer', [...ALICE, 'put', '/only-w', 'x']);
  await ctl('alice changes password', [...ROOT, 'user', 'passwd', 'alice', '--interactive=false'], 'newpw\n');
  await ctl('alice with the old password', [...ALICE, 'get', '/r/1']);
  await ctl('alice with the new password', ['--user', 'alice:newpw', 'get', '/r/1']);
  await ctl('delete role reader', [...ROOT, 'role', 'delete', 'reader']);
  await ctl('user get alice after role delete', [...ROOT, 'user', 'get', 'alice']);
  await ctl('delete alice', [...ROOT, 'user', 'delete', 'alice']);
  await ctl('delete alice again', [...ROOT, 'user', 'delete', 'alice']);
  await ctl('deleted alice', ['--user', 'alice:newpw', 'get', '/r/1']);
  await ctl('auth status before disable', [...ROOT, 'auth', 'status']);
  await ctl('auth disable', [...ROOT, 'auth', 'disable']);
  await ctl('auth status after disable', ['auth', 'status']);
  await ctl('put without a user after disable', ['put', '/a', 'free']);
  await ctl('authenticate while disabled', [...ROOT, 'get', '/a']);
  await ctl('delete root while disabled', ['user', 'delete', 'root']);
  await ctl('user list at the end', ['user', 'list']);
  return steps;
}

test(
  'auth: etcdctl sees the same users, roles, permissions and refusals from etcd-ts as from etcd 3.6',
  { timeout: 300_000 },
  async (t) => {
    assert.ok(real && ours);
    const r = { steps: await scenario(real) };
    const o = { steps: await scenario(ours) };
    if (process.env.VERBOSE) for (const [l, x] of o.steps) t.diagnostic(`${l}: ${JSON.stringify(x)}`);
    assert.deepEqual(
      o.steps.map(([l]) => l),
      r.steps.map(([l]) => l),
    );
    const denied = r.steps.filter(([, x]) => x.stderr.includes('permission denied')).length;
    t.diagnostic(`${r.steps.length} steps, ${denied} refused with permission denied by etcd`);
    assert.ok(denied >= 15, 'the scenario exercises refusals');
    for (let i = 0; i < r.steps.length; i++) {
      assert.deepEqual(o.steps[i]![1], r.steps[i]![1], `step "${r.steps[i]![0]}": etcd-ts vs etcd`);
    }
  },
);
