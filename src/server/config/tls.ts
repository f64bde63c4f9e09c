/**
 * A listener's TLS files and client-certificate policy, as etcd's transport.TLSInfo holds them
 * (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`), with etcd's checks
 * and texts. Pure: reading the files is the server's (api/server-tls.ts).
 */
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
