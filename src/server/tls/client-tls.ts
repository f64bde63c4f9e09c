/**
 * The TLS of the client URLs, set up as etcd's configureClientListeners does: an https URL needs
 * --cert-file and --key-file (etcd's texts otherwise), the files are read and checked before the
 * data dir is touched, and an http URL beside cert files or --client-cert-auth gets etcd's warning.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import { checkClientUrlTls, isTlsScheme, tlsEmpty, TlsSetupError } from '../config/tls';
import { isUnixScheme, unixSocketPath, urlToEtcdString } from '../config/urls';
import { ServerTls } from './server-tls';

/**
 * The ServerTls for the https client, client-HTTP and metrics URLs, or undefined when there are
 * none. Throws TlsSetupError with etcd's texts.
 */
export function clientTls(
  c: Pick<Config, 'listenClientUrls' | 'clientTls'> & Partial<Pick<Config, 'listenClientHttpUrls' | 'listenMetricsUrls'>>,
  log: Logger,
): ServerTls | undefined {
  let secure = false;
  for (const u of c.listenMetricsUrls ?? []) {
    if (!isTlsScheme(u.protocol)) continue;
    if (tlsEmpty(c.clientTls))
      throw new TlsSetupError('client TLS key/cert (--cert-file, --key-file) must be provided for metrics secure url');
    secure = true;
  }
  // etcd's resolveURL address: host:port, or a unix URL's socket path.
  const addr = (u: URL): string => (isUnixScheme(u.protocol) ? unixSocketPath(u) : u.host);
  const seen = new Set(c.listenClientUrls.map(addr));
  for (const u of c.listenClientHttpUrls ?? []) {
    if (seen.has(addr(u))) {
      throw new TlsSetupError(`cannot bind both --listen-client-urls and --listen-client-http-urls on the same url ${urlToEtcdString(u)}`);
    }
  }
  for (const u of [...c.listenClientUrls, ...(c.listenClientHttpUrls ?? [])]) {
    if (isTlsScheme(u.protocol)) {
      checkClientUrlTls(u, c.clientTls);
      secure = true;
      continue;
    }
    const url = urlToEtcdString(u);
    if (!tlsEmpty(c.clientTls))
      log.warn({ 'client-url': url }, 'scheme is http or unix while key and cert files are present; ignoring key and cert files');
    if (c.clientTls.clientCertAuth) {
      log.warn({ 'client-url': url }, 'scheme is http or unix while --client-cert-auth is enabled; ignoring client cert auth for this URL');
    }
  }
  return secure ? new ServerTls(c.clientTls, log) : undefined;
}
