/**
 * Applying auth management entries (etcd `applierV3backend` Auth* and `authApplierV3`): every
 * request but Authenticate, UserGet and RoleGet needs an admin (UserGet also serves a user
 * asking about themself, RoleGet a user holding the role). Side effects on this member's
 * tokens follow etcd: tokens start with auth enable, all go with auth disable, and a user's
 * go when the user is deleted or the password changes.
 */
import type { Logger } from 'pino';
import { EtcdError } from '../../../errors';
import type { AuthInfo, AuthStore, Permission } from '../../../auth';
import type { AuthRequest } from '../../wire/auth-request';
import { keyFromLog, permFromLog } from '../../wire/auth-request';
import type { TokenProvider } from './token-provider';

export interface AuthApplyDeps {
  store: AuthStore;
  tokens: TokenProvider;
  log: Logger;
  now(): number;
}

export type AuthApplyResult =
  | undefined
  | { enabled: boolean; authRevision: number }
  | { token: string }
  | { roles: string[] }
  | { users: string[] }
  | { perm: Permission[] };

function needsAdmin(op: AuthRequest['op']): boolean {
  return op !== 'authenticate' && op !== 'userGet' && op !== 'roleGet';
}

function assignToken(d: AuthApplyDeps, name: string, prefix: string, index: number): string {
  const t = d.tokens;
  if (t.type === 'simple') return t.simple.assign(name, prefix, index);
  if (t.type === 'jwt') {
    const token = t.jwt.assign(name, d.store.revision, d.now());
    if (token === undefined) throw new EtcdError('VerifyOnly');
    return token;
  }
  return '';
}

export function applyAuthRequest(d: AuthApplyDeps, r: AuthRequest, ai: AuthInfo | undefined, index: number): AuthApplyResult {
  const s = d.store;
  if (needsAdmin(r.op)) s.checkAdmin(ai);
  switch (r.op) {
    case 'enable':
      if (s.enable()) {
        if (d.tokens.type === 'simple') d.tokens.simple.enable();
        d.log.info('enabled authentication');
      } else d.log.info('authentication is already enabled; ignored auth enable request');
      return undefined;
    case 'disable':
      if (s.disable()) {
        if (d.tokens.type === 'simple') d.tokens.simple.disable();
        d.log.info('disabled authentication');
      }
      return undefined;
    case 'status':
      return { enabled: s.enabled, authRevision: s.revision };
    case 'authenticate': {
      s.checkAuthenticate(r.name);
      const token = assignToken(d, r.name, r.prefix, index);
      d.log.debug({ 'user-name': r.name }, 'authenticated a user');
      return { token };
    }
    case 'userAdd':
      s.userAdd(r.name, r.hash, r.noPassword);
      d.log.info({ 'user-name': r.name }, 'added a user');
      return undefined;
    case 'userDelete': {
      const u = s.userDelete(r.name);
      if (d.tokens.type === 'simple') d.tokens.simple.invalidateUser(r.name);
      d.log.info({ 'user-name': r.name, 'user-roles': u.roles }, 'deleted a user');
      return undefined;
    }
    case 'userChangePassword':
      s.userChangePassword(r.name, r.hash);
      if (d.tokens.type === 'simple') d.tokens.simple.invalidateUser(r.name);
      d.log.info({ 'user-name': r.name }, 'changed a password of a user');
      return undefined;
    case 'userGrantRole':
      if (s.userGrantRole(r.user, r.role)) d.log.info({ 'user-name': r.user, 'added-role-name': r.role }, 'granted a role to a user');
      else d.log.warn({ 'user-name': r.user, 'duplicate-role-name': r.role }, 'ignored grant role request to a user');
      return undefined;
    case 'userRevokeRole':
      s.userRevokeRole(r.name, r.role);
      d.log.info({ 'user-name': r.name, 'revoked-role-name': r.role }, 'revoked a role from a user');
      return undefined;
    case 'userGet':
      if (!s.isAdmin(ai) && r.name !== ai?.user) s.checkAdmin(ai);
      return { roles: s.userGet(r.name) };
    case 'userList':
      return { users: s.userList() };
    case 'roleAdd':
      s.roleAdd(r.name);
      d.log.info({ 'role-name': r.name }, 'created a role');
      return undefined;
    case 'roleGet':
      if (!s.isAdmin(ai) && !(ai !== undefined && s.hasRole(ai.user, r.role))) s.checkAdmin(ai);
      return { perm: s.roleGet(r.role) };
    case 'roleList':
      return { roles: s.roleList() };
    case 'roleDelete':
      s.roleDelete(r.role);
      d.log.info({ 'role-name': r.role }, 'deleted a role');
      return undefined;
    case 'roleGrantPermission':
      s.roleGrantPermission(r.name, r.perm === undefined ? undefined : permFromLog(r.perm));
      d.log.info({ 'role-name': r.name, 'permission-name': r.perm?.permType }, 'granted/updated a permission to a user');
      return undefined;
    case 'roleRevokePermission':
      s.roleRevokePermission(r.role, keyFromLog(r.key), keyFromLog(r.rangeEnd));
      d.log.info({ 'role-name': r.role }, 'revoked a permission on range');
      return undefined;
  }
}
