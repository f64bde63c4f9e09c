/**
 * etcd's JWT tokens (`server/auth/jwt.go`): signed claims `{username, revision, exp}`; any
 * member holding the public key verifies them, no state is kept. A token signed before an auth
 * change carries an old revision, so requests with it fail with AuthOldRevision and clients
 * authenticate again.
 */
import jwt from 'jsonwebtoken';
import type { AuthInfo } from '../../../auth';
import type { JwtOptions } from '../../config/auth-token';

interface Claims {
  username?: unknown;
  revision?: unknown;
}

export class JwtTokens {
  private readonly o: JwtOptions;

  constructor(o: JwtOptions) {
    this.o = o;
  }

  /** A signed token; undefined on a verify-only member (no private key), as etcd's ErrVerifyOnly. */
  assign(user: string, revision: number, nowMs: number): string | undefined {
    if (this.o.privateKey === undefined) return undefined;
    return jwt.sign({ username: user, revision, exp: Math.floor((nowMs + this.o.ttlMs) / 1000) }, this.o.privateKey, {
      algorithm: this.o.signMethod,
      noTimestamp: true,
    });
  }

  info(token: string, nowMs: number): AuthInfo | undefined {
    try {
      const c = jwt.verify(token, this.o.publicKey, {
        algorithms: [this.o.signMethod],
        clockTimestamp: Math.floor(nowMs / 1000),
      }) as Claims;
      if (typeof c.username !== 'string' || typeof c.revision !== 'number') return undefined;
      return { user: c.username, revision: c.revision };
    } catch {
      return undefined;
    }
  }
}
