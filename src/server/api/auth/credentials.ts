/**
 * Who sends a request (etcd `EtcdServer.AuthInfoFromCtx`): with auth enabled, the token in the
 * gRPC metadata `token` (or the gateway's `authorization`, "Bearer " stripped) names the user;
 * without a token, under --client-cert-auth, the common name of the verified client certificate
 * does (not for requests the gateway forwards). An unknown or expired token fails with
 * InvalidAuthToken. With auth disabled there is no user and nothing to check.
 */
import { createHash } from 'node:crypto';
import type { RequestMetadata } from '../request-metadata';
import type { Logger } from 'pino';
import { EtcdError } from '../../../errors';
import type { AuthInfo } from '../../../auth';
import type { MemberAuth } from '../../engine/auth/member-auth';

/** What the credential checks need of a member. */
export interface AuthHost {
  readonly auth: MemberAuth;
  /** Resolves once the member has applied the entry at `index`. */
  waitApplied(index: number): Promise<void>;
}

/** A call whose transport may carry a client certificate (grpc-js server calls). */
export interface CertCall {
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } };
  /** The client's address (for logs). */
  getPeer?(): string;
}

export type Credential = AuthInfo | undefined;

/** etcd's redactToken: the first 12 hex digits of the token's SHA-256, for logs. */
function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

function invalid(log: Logger | undefined, token: string): EtcdError {
  log?.warn({ 'token-fingerprint': fingerprint(token) }, 'invalid auth token');
  return new EtcdError('InvalidAuthToken');
}

function first(md: RequestMetadata, key: string): string | undefined {
  const v = md.get(key);
  return v.length > 0 ? String(v[0]) : undefined;
}

/**
 * The sender's credential; a promise only when a simple token was issued by an entry this
 * member has not applied yet (it waits for it, as etcd does). Throws InvalidAuthToken.
 */
export function credentialOf(m: AuthHost, md: RequestMetadata, call?: CertCall, log?: Logger): Credential | Promise<Credential> {
  const a = m.auth;
  if (!a.enabled) return undefined;
  const raw = first(md, 'token') ?? first(md, 'authorization');
  if (raw !== undefined) {
    const token = raw.startsWith('Bearer ') ? raw.slice(7) : raw;
    const info = a.infoFromToken(token);
    if (info === undefined) throw invalid(log, token);
    if ('waitIndex' in info) {
      return m.waitApplied(info.waitIndex).then(() => {
        const again = a.infoFromToken(token);
        if (again === undefined || 'waitIndex' in again) throw invalid(log, token);
        return again;
      });
    }
    return info;
  }
  if (!a.clientCertAuth || call?.getAuthContext === undefined) return undefined;
  const cn = call.getAuthContext().sslPeerCertificate?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (name === undefined || name === '') return undefined;
  if (md.get('grpcgateway-accept').length > 0) {
    log?.warn({ 'common-name': name }, 'ignoring common name in gRPC-gateway proxy request');
    return undefined;
  }
  return { user: name, revision: a.store.revision };
}

/** Runs `f` with the sender's credential, synchronously when it is known at once. */
export function withCredential<T>(
  m: AuthHost,
  md: RequestMetadata,
  call: CertCall | undefined,
  f: (ai: Credential) => T | Promise<T>,
  log?: Logger,
): T | Promise<T> {
  const c = credentialOf(m, md, call, log);
  return c instanceof Promise ? c.then(f) : f(c);
}

type Guarded = <T>(
  m: AuthHost,
  md: RequestMetadata,
  call: CertCall | undefined,
  f: (ai: Credential) => T | Promise<T>,
  log?: Logger,
) => T | Promise<T>;

/** Runs `f` after `check` of the sender's credential; with auth disabled, at once and with no user. */
function guarded(check: (m: AuthHost, ai: Credential) => void): Guarded {
  return (m, md, call, f, log) => {
    if (!m.auth.enabled) return f(undefined);
    return withCredential(
      m,
      md,
      call,
      (ai) => {
        check(m, ai);
        return f(ai);
      },
      log,
    );
  };
}

/** etcd's isPermitted for admin-only RPCs (Compact, Defragment, MoveLeader, member changes...). */
export const requireAdmin: Guarded = guarded((m, ai) => m.auth.store.checkAdmin(ai));

/** etcd's requireAuthInfo: with auth enabled, some user must be named. */
export const requireUser: Guarded = guarded((_m, ai) => {
  if (ai === undefined) throw new EtcdError('UserEmpty');
});

/** etcd's doSerialize tail: a read served with a credential older than the store fails. */
export function checkFresh(m: AuthHost, ai: Credential): void {
  if (ai !== undefined && ai.revision !== 0 && ai.revision !== m.auth.store.revision) throw new EtcdError('AuthOldRevision');
}
