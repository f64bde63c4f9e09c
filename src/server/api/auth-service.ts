/**
 * etcdserverpb.Auth (etcd `v3rpc/auth.go` over `etcdserver/v3_server.go`). Every request goes
 * through Raft with the sender's credential, and is checked when applied (admin only, except
 * Authenticate, a user's own UserGet and RoleGet of a held role). Passwords are hashed here,
 * before proposing, so the log carries only bcrypt hashes. Authenticate checks the password
 * here, then proposes the token's assignment; if the auth store changed meanwhile it checks
 * again, as etcd does.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RequestMetadata } from './request-metadata';
import { isEtcdError } from '../../errors';
import type { MemberApi } from '../engine/member-api';
import { RequestKind } from '../wire/request-codec';
import type { AuthApplyResult } from '../engine/auth/apply-auth';
import { encodeAuthRequest, keyToLog, type AuthRequest } from '../wire/auth-request';
import type { PermType } from '../../auth';
import { unary } from './unary';
import { credentialOf, type CertCall } from './auth/credentials';

type Wire = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const bytes = (v: unknown): string => (Buffer.isBuffer(v) ? v.toString('latin1') : '');
const PERM_TYPES: readonly PermType[] = ['READ', 'WRITE', 'READWRITE'];

function permTypeOf(v: unknown): PermType {
  if (typeof v === 'number') return PERM_TYPES[v] ?? 'READ';
  return PERM_TYPES.includes(v as PermType) ? (v as PermType) : 'READ';
}

export function authService(m: MemberApi, log: Logger): UntypedServiceImplementation {
  /** Proposes an auth request with the sender's credential and answers with the header and `fields`. */
  const propose = async (md: RequestMetadata, call: CertCall, r: AuthRequest, ai = true): Promise<AuthApplyResult> => {
    const cred = ai ? await credentialOf(m, md, call, log) : undefined;
    return m.propose<AuthApplyResult>(RequestKind.Auth, encodeAuthRequest(r), cred);
  };
  const simple = (name: string, toRequest: (w: Wire) => AuthRequest) =>
    unary(name, log, async (w, md, call) => {
      const r = await propose(md, call, toRequest(w));
      return { header: m.header(), ...(r ?? {}) };
    });

  const authenticate = async (w: Wire, call: CertCall): Promise<object> => {
    const name = str(w.name);
    await m.readBarrier(false);
    for (;;) {
      let checked: number;
      try {
        checked = await m.auth.checkPassword(name, str(w.password));
      } catch (e) {
        if (!isEtcdError(e, 'AuthNotEnabled')) {
          log.warn(
            { user: name, address: call.getPeer?.(), error: isEtcdError(e) ? e.kind : String(e) },
            'invalid authentication was requested',
          );
        }
        throw e;
      }
      const r = await m.propose<{ token: string }>(
        RequestKind.Auth,
        encodeAuthRequest({ op: 'authenticate', name, prefix: m.auth.tokenPrefix() }),
      );
      if (checked === m.auth.store.revision) return { header: m.header(), token: r.token };
      log.info('revision when password checked became stale; retrying');
    }
  };

  return {
    AuthEnable: simple('AuthEnable', () => ({ op: 'enable' })),
    AuthDisable: simple('AuthDisable', () => ({ op: 'disable' })),
    AuthStatus: simple('AuthStatus', () => ({ op: 'status' })),
    Authenticate: unary('Authenticate', log, (w, _md, call) => authenticate(w, call)),
    UserAdd: unary('UserAdd', log, async (w, md, call) => {
      const noPassword = (w.options as Wire | null | undefined)?.no_password === true;
      const hash = noPassword ? '' : await m.auth.hash(str(w.password));
      await propose(md, call, { op: 'userAdd', name: str(w.name), hash, noPassword });
      return { header: m.header() };
    }),
    UserDelete: simple('UserDelete', (w) => ({ op: 'userDelete', name: str(w.name) })),
    UserChangePassword: unary('UserChangePassword', log, async (w, md, call) => {
      const hash = str(w.password) === '' ? '' : await m.auth.hash(str(w.password));
      await propose(md, call, { op: 'userChangePassword', name: str(w.name), hash });
      return { header: m.header() };
    }),
    UserGrantRole: simple('UserGrantRole', (w) => ({ op: 'userGrantRole', user: str(w.user), role: str(w.role) })),
    UserRevokeRole: simple('UserRevokeRole', (w) => ({ op: 'userRevokeRole', name: str(w.name), role: str(w.role) })),
    UserGet: simple('UserGet', (w) => ({ op: 'userGet', name: str(w.name) })),
    UserList: simple('UserList', () => ({ op: 'userList' })),
    RoleAdd: simple('RoleAdd', (w) => ({ op: 'roleAdd', name: str(w.name) })),
    RoleGet: unary('RoleGet', log, async (w, md, call) => {
      const r = (await propose(md, call, { op: 'roleGet', role: str(w.role) })) as {
        perm: { permType: PermType; key: string; rangeEnd: string }[];
      };
      return {
        header: m.header(),
        perm: r.perm.map((p) => ({
          permType: p.permType,
          key: Buffer.from(p.key, 'latin1'),
          range_end: Buffer.from(p.rangeEnd, 'latin1'),
        })),
      };
    }),
    RoleList: simple('RoleList', () => ({ op: 'roleList' })),
    RoleDelete: simple('RoleDelete', (w) => ({ op: 'roleDelete', role: str(w.role) })),
    RoleGrantPermission: simple('RoleGrantPermission', (w) => {
      const p = w.perm as Wire | null | undefined;
      return {
        op: 'roleGrantPermission',
        name: str(w.name),
        perm:
          p === null || p === undefined
            ? undefined
            : { permType: permTypeOf(p.permType), key: keyToLog(bytes(p.key)), rangeEnd: keyToLog(bytes(p.range_end)) },
      };
    }),
    RoleRevokePermission: simple('RoleRevokePermission', (w) => ({
      op: 'roleRevokePermission',
      role: str(w.role),
      key: keyToLog(bytes(w.key)),
      rangeEnd: keyToLog(bytes(w.range_end)),
    })),
  };
}
