/**
 * A listener's TLS files and client-certificate policy, as etcd's transport.TLSInfo holds them
 * (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`), with etcd's checks
 * and texts. Pure: reading the files is the server's (api/server-tls.ts).
 */
import { ConfigError } from './error';
import { urlToEtcdString } from './urls';

/** A TLS setup etcd refuses when it configures its listeners (logged as etcd logs a failed start). */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError';
}

export interface TlsInfo {
  certFile: string;
  keyFile: string;
  trustedCaFile: string;
  clientCertAuth: boolean;
  /** Made by auto-TLS: peers and clients do not verify it (etcd's InsecureSkipVerify). */
  selfCert?: boolean;
  /** --peer-cert-allowed-cn: the other side's certificate must have one of these common names. */
  allowedCns?: string[];
  /** --peer-cert-allowed-hostname: the other side's certificate must be valid for one of these names. */
  allowedHostnames?: string[];
  /** --client-crl-file / --peer-crl-file: client certificates it lists are refused. */
  crlFile?: string;
  /** --tls-min-version / --tls-max-version ('' = default), shared by client and peer TLS. */
  minVersion?: string;
  maxVersion?: string;
  /** --cipher-suites (Go names). */
  cipherSuites?: string[];
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoteList(ss: string[]): string {
  return `[${ss.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** etcd's baseConfig check of the allowed names. Throws TlsSetupError. */
export function checkAllowedNames(t: TlsInfo): void {
  const cns = t.allowedCns ?? [];
  const hosts = t.allowedHostnames ?? [];
  if (cns.length > 0 && hosts.length > 0) {
    throw new TlsSetupError(
      `AllowedCNs and AllowedHostnames are mutually exclusive (cns=${goQuoteList(cns)}, hostnames=${goQuoteList(hosts)})`,
    );
  }
}

export const NO_TLS: TlsInfo = { certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false };

/** etcd's TLSInfo.Empty: neither a certificate nor a key. */
export function tlsEmpty(t: TlsInfo): boolean {
  return t.certFile === '' && t.keyFile === '';
}

/** etcd's ServerConfig: a trusted CA file or --client-cert-auth requires and verifies client certificates. */
export function requiresClientCert(t: TlsInfo): boolean {
  return t.trustedCaFile !== '' || t.clientCertAuth;
}

/** A scheme served over TLS. */
export function isTlsScheme(protocol: string): boolean {
  return protocol === 'https:' || protocol === 'unixs:';
}

/**
 * etcd's configureClientListeners checks for one client URL: an https URL needs the key pair;
 * both files or neither (baseConfig). Throws TlsSetupError with etcd's text.
 */
export function checkClientUrlTls(url: URL, t: TlsInfo): void {
  if (!isTlsScheme(url.protocol)) return;
  if (tlsEmpty(t)) {
    throw new TlsSetupError(
      `TLS key/cert (--cert-file, --key-file) must be provided for client url ${urlToEtcdString(url)} with HTTPS scheme`,
    );
  }
  if (t.certFile === '' || t.keyFile === '') {
    throw new TlsSetupError(`KeyFile and CertFile must both be present[key: ${t.keyFile}, cert: ${t.certFile}]`);
  }
}

export type TlsVersionName = '' | 'TLS1.2' | 'TLS1.3';

/** etcd's tlsutil.GetTLSVersion: '' (let the library decide), TLS1.2 or TLS1.3. */
export function tlsVersion(v: string): TlsVersionName {
  if (v === '' || v === 'TLS1.2' || v === 'TLS1.3') return v;
  throw new ConfigError(`unexpected TLS version ${JSON.stringify(v)} (must be one of: TLS1.2, TLS1.3)`);
}

/** etcd's Config.Validate checks of --tls-min-version, --tls-max-version and --cipher-suites. */
export function checkTlsVersions(min: string, max: string, cipherSuites: string[]): void {
  const lo = tlsVersion(min);
  const hi = tlsVersion(max);
  const rank = (v: TlsVersionName): number => (v === 'TLS1.3' ? 2 : v === 'TLS1.2' ? 1 : 0);
  if (hi !== '' && rank(lo) > rank(hi)) throw new ConfigError(`min version (${min}) is greater than max version (${max})`);
  if (lo === 'TLS1.3' && cipherSuites.length > 0) throw new ConfigError('cipher suites cannot be configured when only TLS1.3 is enabled');
}

/**
 * Go's cipher suite names (crypto/tls CipherSuites and InsecureCipherSuites) and OpenSSL's names
 * for them; the TLS 1.3 suites have no OpenSSL TLS 1.2 name (Go ignores them in CipherSuites).
 */
const CIPHER_SUITES: Record<string, string | undefined> = {
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
};

/** TLS 1.3's suites, always on (Go does not let CipherSuites restrict TLS 1.3). */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * The OpenSSL cipher list for --cipher-suites (undefined: the defaults), or etcd's error for an
 * unknown name (checked when etcd configures its listeners).
 */
export function opensslCiphers(cipherSuites: string[]): string | undefined {
  if (cipherSuites.length === 0) return undefined;
  const names: string[] = [];
  for (const s of cipherSuites) {
    if (!(s in CIPHER_SUITES)) throw new TlsSetupError(`unexpected TLS cipher suite ${JSON.stringify(s)}`);
    const n = CIPHER_SUITES[s];
    if (n !== undefined) names.push(n);
  }
  return [...names, TLS13_SUITES].join(':');
}

/** Node's name of a TLS version ('' keeps Node's default). */
export function nodeTlsVersion(v: string): 'TLSv1.2' | 'TLSv1.3' | undefined {
  return v === 'TLS1.2' ? 'TLSv1.2' : v === 'TLS1.3' ? 'TLSv1.3' : undefined;
}
