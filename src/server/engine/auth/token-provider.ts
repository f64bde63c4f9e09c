/**
 * The member's token provider, from `--auth-token` and `--auth-token-ttl`: simple tokens (the
 * default), JWT (key files read here, checked as etcd checks them), or none. Building it reads
 * the key files; a bad key fails the start with etcd's error text (a start failure, as etcd's
 * "discovery failed", not a flag error).
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { INVALID_AUTH_OPTIONS, type AuthTokenOptions, type JwtFileOptions, type JwtOptions } from '../../config/auth-token';
import { SimpleTokens } from './simple-tokens';
import { JwtTokens } from './jwt-tokens';

export type TokenProvider = { type: 'simple'; simple: SimpleTokens } | { type: 'jwt'; jwt: JwtTokens } | { type: 'none' };

const MISSING_KEY = 'auth: missing key data';
const KEY_MISMATCH = "auth: public and private keys don't match";

function read(file: string): Buffer | undefined {
  if (file === '') return undefined;
  try {
    return readFileSync(file);
  } catch {
    // etcd logs "problem loading JWT options" and fails with ErrInvalidAuthOpts.
    throw new Error(INVALID_AUTH_OPTIONS);
  }
}

/** The key type each family of methods needs. */
function keyTypeOf(method: string): string {
  if (method.startsWith('ES')) return 'ec';
  return 'rsa';
}

function parseKey(pem: Buffer, priv: boolean, method: string): KeyObject {
  // golang-jwt's texts: a file without a PEM block, then a key of the wrong type.
  if (!pem.toString('latin1').includes('-----BEGIN')) throw new Error('invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key');
  let k: KeyObject;
  try {
    k = priv ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    throw new Error('invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key');
  }
  const want = keyTypeOf(method);
  if (k.asymmetricKeyType !== want && !(want === 'rsa' && k.asymmetricKeyType === 'rsa-pss')) {
    throw new Error(`key is not a valid ${want === 'ec' ? 'ECDSA' : 'RSA'} ${priv ? 'private' : 'public'} key`);
  }
  return k;
}

/** etcd's jwtOptions.Key: HMAC needs the private key; otherwise either key, and a matching pair. */
export function loadJwtOptions(o: JwtFileOptions): JwtOptions {
  const pubPem = read(o.publicKeyFile);
  const privPem = read(o.privateKeyFile);
  if (o.signMethod.startsWith('HS')) {
    if (privPem === undefined || privPem.length === 0) throw new Error(MISSING_KEY);
    return { signMethod: o.signMethod, publicKey: privPem, privateKey: privPem, ttlMs: o.ttlMs };
  }
  const priv = privPem !== undefined && privPem.length > 0 ? parseKey(privPem, true, o.signMethod) : undefined;
  const pub = pubPem !== undefined && pubPem.length > 0 ? parseKey(pubPem, false, o.signMethod) : undefined;
  if (priv === undefined && pub === undefined) throw new Error(MISSING_KEY);
  if (priv !== undefined && pub !== undefined) {
    const a = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    const b = pub.export({ format: 'der', type: 'spki' });
    if (!a.equals(b)) throw new Error(KEY_MISMATCH);
  }
  const publicPem = (pub ?? createPublicKey(priv!)).export({ format: 'pem', type: 'spki' }) as string;
  const privatePem = priv?.export({ format: 'pem', type: 'pkcs8' }) as string | undefined;
  return { signMethod: o.signMethod, publicKey: publicPem, privateKey: privatePem, ttlMs: o.ttlMs };
}

export function createTokenProvider(o: AuthTokenOptions, simpleTtlMs: number, now: () => number): TokenProvider {
  switch (o.type) {
    case 'simple':
      return { type: 'simple', simple: new SimpleTokens(simpleTtlMs, now) };
    case 'jwt':
      return { type: 'jwt', jwt: new JwtTokens(loadJwtOptions(o)) };
    default:
      return { type: 'none' };
  }
}
