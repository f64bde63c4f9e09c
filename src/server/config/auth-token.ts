/**
 * `--auth-token` as etcd parses it (`auth/store.go` decomposeOpts, `auth/options.go`): a type
 * (`simple`, `jwt`, or empty for no tokens at all) and `name=value` options. Errors carry etcd's
 * text. Key files are read later, by the member (see engine/auth/token-provider.ts).
 */
import { ConfigError } from './error';
import { parseGoDuration } from './duration';

export const INVALID_AUTH_OPTIONS = 'auth: invalid auth options';

/** The algorithms the JWT provider signs and verifies with (Go's jwt.GetSigningMethod names). */
export const JWT_METHODS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
] as const;
export type JwtMethod = (typeof JWT_METHODS)[number];

export interface JwtFileOptions {
  signMethod: JwtMethod;
  publicKeyFile: string;
  privateKeyFile: string;
  ttlMs: number;
}

/** The options with the key files read (see engine/auth/token-provider.ts). */
export interface JwtOptions {
  signMethod: JwtMethod;
  /** PEM (or the HMAC secret). */
  publicKey: string | Buffer;
  privateKey: string | Buffer | undefined;
  ttlMs: number;
}

export type AuthTokenOptions = { type: 'simple' } | { type: 'none' } | ({ type: 'jwt' } & JwtFileOptions);

const DEFAULT_JWT_TTL_MS = 5 * 60 * 1000;

export function parseAuthToken(spec: string): AuthTokenOptions {
  const parts = spec.split(',');
  const opts = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const kv = p.split('=');
    if (kv.length !== 2 || opts.has(kv[0]!)) throw new ConfigError(INVALID_AUTH_OPTIONS);
    opts.set(kv[0]!, kv[1]!);
  }
  switch (parts[0]) {
    case 'simple':
      return { type: 'simple' };
    case '':
      return { type: 'none' };
    case 'jwt': {
      let ttlMs = DEFAULT_JWT_TTL_MS;
      const ttl = opts.get('ttl') ?? '';
      if (ttl !== '') {
        try {
          ttlMs = parseGoDuration(ttl);
        } catch {
          throw new ConfigError(INVALID_AUTH_OPTIONS);
        }
      }
      const method = opts.get('sign-method') ?? '';
      if (!(JWT_METHODS as readonly string[]).includes(method)) throw new ConfigError(INVALID_AUTH_OPTIONS);
      return {
        type: 'jwt',
        signMethod: method as JwtMethod,
        publicKeyFile: opts.get('pub-key') ?? '',
        privateKeyFile: opts.get('priv-key') ?? '',
        ttlMs,
      };
    }
    default:
      throw new ConfigError(INVALID_AUTH_OPTIONS);
  }
}
