// The auth core: merged permission intervals (single keys, prefixes, from-key ranges, ranges
// covered by several permissions), the store's revision and etcd's refusals; and --bcrypt-cost,
// seen in the hash a member stores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Level } from 'level';
import { AuthStore, mergePermissions, permits, type Permission } from '../../src/auth';
import { MemoryEngine } from '../../src/mvcc';
import { isEtcdError, type ErrorKind } from '../../src/errors';
import { startProcessMember } from '../helpers/process-member';
import { runEtcdctl } from '../helpers/tools';

const p = (permType: Permission['permType'], key: string, rangeEnd = ''): Permission => ({ permType, key, rangeEnd });

test('permission intervals: a key needs one interval holding it, a range the union covering it', () => {
  const m = mergePermissions([
    p('READ', '/a/', '/a0'),
    p('READWRITE', '/a0', '/b'),
    p('WRITE', '/w'),
    p('READ', '/z', '\0'),
    p('READ', '/k1', '/k3'),
  ]);
  assert.equal(permits(m.read, '/a/x', ''), true);
  assert.equal(permits(m.read, '/a/', '/a0'), true);
  assert.equal(permits(m.read, '/a/', '/b'), true, 'two adjacent permissions cover [/a/, /b)');
  assert.equal(permits(m.read, '/a/', '/b0'), false);
  assert.equal(permits(m.write, '/a/x', ''), false);
  assert.equal(permits(m.write, '/a0', ''), true);
  assert.equal(permits(m.write, '/w', ''), true);
  assert.equal(permits(m.write, '/w0', ''), false, 'a single-key permission is that key only');
  assert.equal(permits(m.read, '/zzz', ''), true);
  assert.equal(permits(m.read, '/z', '\0'), true, 'from-key covered by from-key');
  assert.equal(permits(m.read, '/y', '\0'), false);
  assert.equal(permits(m.read, '/k2', '/k3'), true);
  assert.equal(permits(m.read, '/k2', '/k4'), false);
  assert.equal(permits(mergePermissions([]).read, 'a', ''), false);
});

function refuses(f: () => unknown, kind: ErrorKind): void {
  assert.throws(f, (e: unknown) => isEtcdError(e, kind), kind);
}

test('auth store: revisions, etcd refusals, root rules, persistence through the engine', () => {
  const engine = new MemoryEngine();
  const s = new AuthStore(engine);
  assert.equal(s.revision, 1, 'a fresh store starts at revision 1');
  refuses(() => s.enable(), 'RootUserNotExist');
  s.userAdd('root', '$2a$04$x', false);
  refuses(() => s.enable(), 'RootRoleNotExist');
  assert.equal(s.userGrantRole('root', 'root'), true);
  assert.equal(s.userGrantRole('root', 'root'), false, 'a second grant is ignored');
  refuses(() => s.userAdd('root', 'h', false), 'UserAlreadyExist');
  refuses(() => s.userAdd('', 'h', false), 'UserEmpty');
  refuses(() => s.roleAdd(''), 'RoleEmpty');
  s.roleAdd('r');
  refuses(() => s.roleAdd('r'), 'RoleAlreadyExist');
  refuses(() => s.roleGrantPermission('r', undefined), 'PermissionNotGiven');
  refuses(() => s.roleGrantPermission('r', p('READ', '')), 'InvalidAuthMgmt');
  refuses(() => s.roleGrantPermission('r', p('READ', 'b', 'a')), 'InvalidAuthMgmt');
  refuses(() => s.roleGrantPermission('nope', p('READ', 'a')), 'RoleNotFound');
  s.roleGrantPermission('r', p('READ', 'a'));
  s.roleGrantPermission('r', p('READWRITE', 'a'));
  assert.deepEqual(s.roleGet('r'), [p('READWRITE', 'a')], 'the same key and end updates the type');
  s.userAdd('u', 'h', false);
  refuses(() => s.userGrantRole('u', 'nope'), 'RoleNotFound');
  s.userGrantRole('u', 'r');
  const rev = s.revision;
  assert.equal(s.enable(), true);
  assert.equal(s.revision, rev, 'enabling does not bump the revision');
  const u = { user: 'u', revision: s.revision };
  s.checkPut(u, 'a');
  refuses(() => s.checkPut(u, 'b'), 'PermissionDenied');
  refuses(() => s.checkPut(undefined, 'a'), 'UserEmpty');
  refuses(() => s.checkAdmin(u), 'PermissionDenied');
  refuses(() => s.userDelete('root'), 'InvalidAuthMgmt');
  refuses(() => s.roleDelete('root'), 'InvalidAuthMgmt');
  refuses(() => s.userRevokeRole('root', 'root'), 'InvalidAuthMgmt');
  refuses(() => s.userRevokeRole('u', 'root'), 'RoleNotGranted');
  refuses(() => s.roleRevokePermission('r', 'zz', ''), 'PermissionNotGranted');
  s.roleAdd('other');
  refuses(() => s.checkPut(u, 'a'), 'AuthOldRevision');

  const again = new AuthStore(engine);
  assert.equal(again.enabled, true);
  assert.equal(again.revision, s.revision);
  assert.deepEqual(again.userList(), ['root', 'u']);
  assert.deepEqual(again.roleList(), ['other', 'r']);
  again.checkPut({ user: 'u', revision: again.revision }, 'a');
  again.roleDelete('r');
  assert.deepEqual(again.userGet('u'), [], 'deleting a role takes it from its users');
  assert.equal(again.disable(), true);
  s.reload();
  s.checkPut(undefined, 'anything');
});

test(
  '--bcrypt-cost: the password hash a member stores has that cost; a failed login is logged without the password',
  { timeout: 60_000 },
  async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bcrypt-cost-'));
    try {
      const m = await startProcessMember({ dataDir, extraArgs: ['--bcrypt-cost', '5'] });
      try {
        assert.equal((await runEtcdctl(m.endpoint, ['user', 'add', 'alice:pw'])).code, 0);
        assert.equal((await runEtcdctl(m.endpoint, ['user', 'add', 'bob', '--no-password'])).code, 0);
        // A failed login is logged with the user name and the client's address, never the password.
        for (const args of [
          ['user', 'add', 'root:rootpw'],
          ['user', 'grant-role', 'root', 'root'],
          ['auth', 'enable'],
        ])
          assert.equal((await runEtcdctl(m.endpoint, args)).code, 0, args.join(' '));
        assert.notEqual((await runEtcdctl(m.endpoint, ['--user', 'alice:s3cr3t-wrong', 'get', 'x'])).code, 0);
        const line = m
          .stderr()
          .split('\n')
          .find((l) => l.includes('invalid authentication was requested'));
        assert.ok(line !== undefined, 'the failed login is logged');
        const entry = JSON.parse(line) as { user?: string; address?: string; level?: string };
        assert.equal(entry.user, 'alice');
        assert.match(entry.address ?? '', /127\.0\.0\.1:\d+/);
        assert.ok(!m.stderr().includes('s3cr3t-wrong'), 'the password is never logged');
      } finally {
        await m.stop();
      }
      const db = new Level<string, Buffer>(path.join(dataDir, 'member', 'leveldb'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
      try {
        const alice = JSON.parse((await db.get('mvcc/auth/user/alice'))!.toString('utf8')) as { password: string };
        assert.match(alice.password, /^\$2a\$05\$/, "Go's bcrypt form at cost 5");
        const bob = JSON.parse((await db.get('mvcc/auth/user/bob'))!.toString('utf8')) as { password: string; noPassword: boolean };
        assert.deepEqual([bob.password, bob.noPassword], ['', true]);
      } finally {
        await db.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
