/**
 * A member's authentication: the replicated auth store, this member's token provider, and the
 * password work etcd does outside the apply path (bcrypt hashing before UserAdd and
 * UserChangePassword are proposed, the password check before Authenticate is proposed).
 */
import bcrypt from 'bcryptjs';
import { EtcdError } from '../../../errors';
import type { AuthInfo, AuthStore } from '../../../auth';
import { SimpleTokens } from './simple-tokens';
import type { TokenProvider } from './token-provider';

/** Go's bcrypt bounds; etcd falls back to the default cost outside them. */
const MIN_COST = 4;
const MAX_COST = 31;
const DEFAULT_BCRYPT_COST = 10;
const MAX_PASSWORD_BYTES = 72;

/** What a token names, or that the member must first apply up to `index` (a simple token issued elsewhere). */
export type TokenInfo = AuthInfo | { waitIndex: number } | undefined;

export class MemberAuth {
  readonly store: AuthStore;
  readonly tokens: TokenProvider;
  readonly bcryptCost: number;
  /** --client-cert-auth: a verified client certificate's common name is the user when no token is sent. */
  readonly clientCertAuth: boolean;
  private readonly now: () => number;
  private readonly appliedIndex: () => number;

  constructor(o: {
    store: AuthStore;
    tokens: TokenProvider;
    bcryptCost: number;
    clientCertAuth: boolean;
    now: () => number;
    appliedIndex: () => number;
  }) {
    this.store = o.store;
    this.tokens = o.tokens;
    this.bcryptCost = o.bcryptCost < MIN_COST || o.bcryptCost > MAX_COST ? DEFAULT_BCRYPT_COST : o.bcryptCost;
    this.clientCertAuth = o.clientCertAuth;
    this.now = o.now;
    this.appliedIndex = o.appliedIndex;
    this.syncTokens();
  }

  get enabled(): boolean {
    return this.store.enabled;
  }

  /** After boot or a snapshot install: simple tokens are kept only while auth is enabled. */
  syncTokens(): void {
    if (this.tokens.type !== 'simple') return;
    if (this.store.enabled) this.tokens.simple.enable();
    else this.tokens.simple.disable();
  }

  /** The random part of a simple token ('' for other providers), chosen before proposing. */
  tokenPrefix(): string {
    return this.tokens.type === 'simple' ? SimpleTokens.genPrefix() : '';
  }

  /** etcd's AuthInfoFromCtx for a token (the "Bearer " prefix already stripped). */
  infoFromToken(token: string): TokenInfo {
    const t = this.tokens;
    if (t.type === 'simple') {
      const user = t.simple.userOf(token);
      if (user !== undefined) return { user, revision: this.store.revision };
      // A token assigned by an entry this member has not applied yet: wait for it, as etcd's indexWaiter.
      const index = SimpleTokens.indexOf(token);
      if (index !== undefined && index > this.appliedIndex()) return { waitIndex: index };
      return undefined;
    }
    if (t.type === 'jwt') return t.jwt.info(token, this.now());
    return undefined;
  }

  /** A bcrypt hash of the password at --bcrypt-cost, in Go's `$2a$` form. */
  async hash(password: string): Promise<string> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) throw new EtcdError('PasswordTooLong');
    const salt = (await bcrypt.genSalt(this.bcryptCost)).replace(/^\$2b\$/, '$2a$');
    return bcrypt.hash(password, salt);
  }

  /**
   * etcd's CheckPassword: auth enabled, the user exists, has a password, and it matches.
   * Returns the auth revision the check was made at.
   */
  async checkPassword(name: string, password: string): Promise<number> {
    if (!this.store.enabled) throw new EtcdError('AuthNotEnabled');
    const u = this.store.user(name);
    if (u === undefined) throw new EtcdError('AuthFailed');
    if (u.noPassword) throw new EtcdError('NoPasswordUser');
    const revision = this.store.revision;
    const ok = await bcrypt.compare(password, u.password);
    if (!ok) throw new EtcdError('AuthFailed', 'invalid password');
    return revision;
  }
}
