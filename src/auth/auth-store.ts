/**
 * The auth store (etcd `server/auth/store.go`): users, roles, the enabled flag and the auth
 * revision, kept in the member's ordered engine under `auth/` so that they are written with the
 * applied batch, reloaded at boot and carried by state snapshots. Changed only by applying Raft
 * entries, so every member holds the same store; every change bumps the revision, which stale
 * credentials are checked against.
 *
 * Pure: no I/O, no clock. Password hashing and checking happen outside (the server hashes before
 * proposing, as etcd does, so the log carries the hash and never the password).
 */
import type { Engine } from '../mvcc/engine';
import { EtcdError } from '../errors';
import { mergePermissions, permits, isValidPermissionRange, type MergedPermissions } from './perm-ranges';
import { NO_USER, ROOT_PERMISSION, ROOT_ROLE, ROOT_USER, type AuthInfo, type Permission, type Role, type User } from './types';

const ENABLED_KEY = 'auth/enabled';
const REVISION_KEY = 'auth/revision';
const USER_PREFIX = 'auth/user/';
const USER_END = 'auth/user0';
const ROLE_PREFIX = 'auth/role/';
const ROLE_END = 'auth/role0';

/** Names are stored as latin1 strings of their UTF-8 bytes: engine order is byte order. */
const enc = (name: string): string => Buffer.from(name, 'utf8').toString('latin1');
const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), 'utf8');
const parse = <T>(b: Uint8Array): T => JSON.parse(Buffer.from(b).toString('utf8')) as T;

function byName<T extends { name: string }>(a: T, b: T): number {
  const x = enc(a.name);
  const y = enc(b.name);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The engine records of a whole auth state, in this store's layout (a restore from an etcd
 * backend writes them before any AuthStore opens the engine).
 */
export function authRecords(state: { enabled: boolean; revision: number; users: User[]; roles: Role[] }): [string, Uint8Array][] {
  const rev = Buffer.alloc(8);
  rev.writeBigUInt64BE(BigInt(state.revision));
  return [
    [ENABLED_KEY, Uint8Array.of(state.enabled ? 1 : 0)],
    [REVISION_KEY, rev],
    ...state.users.map((u): [string, Uint8Array] => [USER_PREFIX + enc(u.name), json(u)]),
    ...state.roles.map((r): [string, Uint8Array] => [ROLE_PREFIX + enc(r.name), json(r)]),
  ];
}

export class AuthStore {
  private readonly engine: Engine;
  private users = new Map<string, User>();
  private roles = new Map<string, Role>();
  private perms = new Map<string, MergedPermissions>();
  private enabledFlag = false;
  private rev = 0;

  constructor(engine: Engine) {
    this.engine = engine;
    this.reload();
  }

  /** Re-reads the store from the engine (after boot or a snapshot install). */
  reload(): void {
    this.users = new Map();
    this.roles = new Map();
    for (const [, v] of this.engine.scan(USER_PREFIX, USER_END)) {
      const u = parse<User>(v);
      this.users.set(u.name, u);
    }
    for (const [, v] of this.engine.scan(ROLE_PREFIX, ROLE_END)) {
      const r = parse<Role>(v);
      this.roles.set(r.name, r);
    }
    const en = this.engine.get(ENABLED_KEY);
    this.enabledFlag = en !== undefined && en[0] === 1;
    const rv = this.engine.get(REVISION_KEY);
    this.rev = rv === undefined ? 0 : Number(Buffer.from(rv).readBigUInt64BE(0));
    // etcd's NewAuthStore starts a fresh store at revision 1.
    if (this.rev === 0) this.commitRevision();
    this.refreshPerms();
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.rev;
  }

  private commitRevision(): void {
    this.rev += 1;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(this.rev));
    this.engine.put(REVISION_KEY, b);
  }

  private refreshPerms(): void {
    this.perms = new Map();
    for (const u of this.users.values()) {
      const all: Permission[] = [];
      for (const r of u.roles) all.push(...(this.roles.get(r)?.perms ?? []));
      this.perms.set(u.name, mergePermissions(all));
    }
  }

  private putUser(u: User): void {
    this.users.set(u.name, u);
    this.engine.put(USER_PREFIX + enc(u.name), json(u));
  }

  private putRole(r: Role): void {
    this.roles.set(r.name, r);
    this.engine.put(ROLE_PREFIX + enc(r.name), json(r));
  }

  /** A change is written: bump the revision and rebuild the permission cache. */
  private changed(): void {
    this.commitRevision();
    this.refreshPerms();
  }

  /** Returns false when auth was already enabled (etcd ignores the request then). */
  enable(): boolean {
    if (this.enabledFlag) return false;
    const root = this.users.get(ROOT_USER);
    if (root === undefined) throw new EtcdError('RootUserNotExist');
    if (!root.roles.includes(ROOT_ROLE)) throw new EtcdError('RootRoleNotExist');
    this.engine.put(ENABLED_KEY, Uint8Array.of(1));
    this.enabledFlag = true;
    return true;
  }

  /** Returns false when auth was not enabled. */
  disable(): boolean {
    if (!this.enabledFlag) return false;
    this.engine.put(ENABLED_KEY, Uint8Array.of(0));
    this.commitRevision();
    this.enabledFlag = false;
    return true;
  }

  /** Every user, in name (byte) order. */
  allUsers(): User[] {
    return [...this.users.values()].sort(byName);
  }

  /** Every role, in name (byte) order. */
  allRoles(): Role[] {
    return [...this.roles.values()].sort(byName);
  }

  user(name: string): User | undefined {
    return this.users.get(name);
  }

  /** etcd's Authenticate in apply: the user exists and has a password. */
  checkAuthenticate(name: string): void {
    if (!this.enabledFlag) throw new EtcdError('AuthNotEnabled');
    const u = this.users.get(name);
    if (u === undefined || u.noPassword) throw new EtcdError('AuthFailed');
  }

  userAdd(name: string, password: string, noPassword: boolean): void {
    if (name === '') throw new EtcdError('UserEmpty');
    if (this.users.has(name)) throw new EtcdError('UserAlreadyExist');
    this.putUser({ name, password: noPassword ? '' : password, roles: [], noPassword });
    this.changed();
  }

  userDelete(name: string): User {
    if (this.enabledFlag && name === ROOT_USER) throw new EtcdError('InvalidAuthMgmt');
    const u = this.users.get(name);
    if (u === undefined) throw new EtcdError('UserNotFound');
    this.users.delete(name);
    this.engine.del(USER_PREFIX + enc(name));
    this.changed();
    return u;
  }

  userChangePassword(name: string, password: string): void {
    const u = this.users.get(name);
    if (u === undefined) throw new EtcdError('UserNotFound');
    this.putUser({ ...u, password: u.noPassword ? '' : password });
    this.changed();
  }

  /** Returns false when the user already had the role (etcd ignores the request then). */
  userGrantRole(user: string, role: string): boolean {
    const u = this.users.get(user);
    if (u === undefined) throw new EtcdError('UserNotFound');
    if (role !== ROOT_ROLE && !this.roles.has(role)) throw new EtcdError('RoleNotFound');
    if (u.roles.includes(role)) return false;
    this.putUser({ ...u, roles: [...u.roles, role].sort((a, b) => (enc(a) < enc(b) ? -1 : 1)) });
    this.changed();
    return true;
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT_USER && role === ROOT_ROLE) throw new EtcdError('InvalidAuthMgmt');
    const u = this.users.get(name);
    if (u === undefined) throw new EtcdError('UserNotFound');
    const roles = u.roles.filter((r) => r !== role);
    if (roles.length === u.roles.length) throw new EtcdError('RoleNotGranted');
    this.putUser({ ...u, roles });
    this.changed();
  }

  userGet(name: string): string[] {
    const u = this.users.get(name);
    if (u === undefined) throw new EtcdError('UserNotFound');
    return [...u.roles];
  }

  userList(): string[] {
    return [...this.users.values()].sort(byName).map((u) => u.name);
  }

  roleAdd(name: string): void {
    if (name === '') throw new EtcdError('RoleEmpty');
    if (this.roles.has(name)) throw new EtcdError('RoleAlreadyExist');
    this.putRole({ name, perms: [] });
    // etcd's RoleAdd commits the revision without refreshing the cache (a new role is granted to nobody).
    this.commitRevision();
  }

  roleGet(name: string): Permission[] {
    const r = this.roles.get(name);
    if (r === undefined) throw new EtcdError('RoleNotFound');
    return name === ROOT_ROLE ? [ROOT_PERMISSION] : r.perms.map((p) => ({ ...p }));
  }

  roleList(): string[] {
    return [...this.roles.values()].sort(byName).map((r) => r.name);
  }

  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_ROLE) throw new EtcdError('InvalidAuthMgmt');
    if (!this.roles.has(name)) throw new EtcdError('RoleNotFound');
    this.roles.delete(name);
    this.engine.del(ROLE_PREFIX + enc(name));
    for (const u of [...this.users.values()]) {
      if (u.roles.includes(name)) this.putUser({ ...u, roles: u.roles.filter((r) => r !== name) });
    }
    this.changed();
  }

  roleGrantPermission(name: string, perm: Permission | undefined): void {
    if (perm === undefined) throw new EtcdError('PermissionNotGiven');
    if (!isValidPermissionRange(perm.key, perm.rangeEnd)) throw new EtcdError('InvalidAuthMgmt');
    const r = this.roles.get(name);
    if (r === undefined) throw new EtcdError('RoleNotFound');
    const perms = r.perms.map((p) => ({ ...p }));
    const same = perms.find((p) => p.key === perm.key && p.rangeEnd === perm.rangeEnd);
    if (same !== undefined) same.permType = perm.permType;
    else {
      perms.push({ ...perm });
      // etcd's sort.Sort by key (not stable: equal keys with different ends keep no fixed order).
      perms.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    this.putRole({ name, perms });
    this.changed();
  }

  roleRevokePermission(name: string, key: string, rangeEnd: string): void {
    const r = this.roles.get(name);
    if (r === undefined) throw new EtcdError('RoleNotFound');
    const perms = r.perms.filter((p) => p.key !== key || p.rangeEnd !== rangeEnd);
    if (perms.length === r.perms.length) throw new EtcdError('PermissionNotGranted');
    this.putRole({ name, perms });
    this.changed();
  }

  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) === true;
  }

  /** etcd's isOpPermitted: no user, a stale credential, an unknown user or no covering permission fail. */
  private isOpPermitted(info: AuthInfo | undefined, key: string, rangeEnd: string, write: boolean): void {
    if (!this.enabledFlag) return;
    const ai = info ?? NO_USER;
    if (ai.revision === 0) throw new EtcdError('UserEmpty');
    if (ai.revision < this.rev) throw new EtcdError('AuthOldRevision');
    const u = this.users.get(ai.user);
    if (u === undefined) throw new EtcdError('PermissionDenied');
    if (u.roles.includes(ROOT_ROLE)) return;
    const merged = this.perms.get(ai.user);
    if (merged !== undefined && permits(write ? merged.write : merged.read, key, rangeEnd)) return;
    throw new EtcdError('PermissionDenied');
  }

  checkPut(ai: AuthInfo | undefined, key: string): void {
    this.isOpPermitted(ai, key, '', true);
  }

  checkRange(ai: AuthInfo | undefined, key: string, rangeEnd: string): void {
    this.isOpPermitted(ai, key, rangeEnd, false);
  }

  checkDeleteRange(ai: AuthInfo | undefined, key: string, rangeEnd: string): void {
    this.isOpPermitted(ai, key, rangeEnd, true);
  }

  /** etcd's IsAdminPermitted: the user holds the root role. */
  checkAdmin(ai: AuthInfo | undefined): void {
    if (!this.enabledFlag) return;
    if (ai === undefined || ai.user === '') throw new EtcdError('UserEmpty');
    const u = this.users.get(ai.user);
    if (u === undefined) throw new EtcdError('UserNotFound');
    if (!u.roles.includes(ROOT_ROLE)) throw new EtcdError('PermissionDenied');
  }

  isAdmin(ai: AuthInfo | undefined): boolean {
    if (!this.enabledFlag) return true;
    return ai !== undefined && this.users.get(ai.user)?.roles.includes(ROOT_ROLE) === true;
  }
}
