/**
 * TLS between members, as etcd's peer transport has it: https peer URLs served with
 * --peer-cert-file / --peer-key-file (client certificates required with --peer-client-cert-auth
 * or --peer-trusted-ca-file), and peers dialled over TLS with the same key pair as client
 * certificate, verified against --peer-trusted-ca-file. The files are read again when they
 * change (new connections; a dialled peer after its stream breaks).
 */
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import { checkAllowedNames, isTlsScheme, tlsEmpty, TlsSetupError } from '../config/tls';
import { allowedNamesRefusal, hasAllowedNames } from './allowed-names';
import { urlToEtcdString } from '../config/urls';
import { ServerTls } from './server-tls';

export interface PeerTls {
  /** The files for serving https peer URLs (and dialling https peers); undefined without them. */
  readonly files: ServerTls | undefined;
  /** Credentials to dial a peer at `url`. */
  credentials(url: string): ChannelCredentials;
}

export function peerTlsSetup(c: Pick<Config, 'listenPeerUrls' | 'peerTls'>, log: Logger): PeerTls {
  const info = c.peerTls;
  for (const u of c.listenPeerUrls) {
    if (isTlsScheme(u.protocol)) {
      if (tlsEmpty(info)) throw new TlsSetupError(`cannot listen on TLS for ${u.host}: KeyFile and CertFile are not presented`);
      if (info.certFile === '' || info.keyFile === '') {
        throw new TlsSetupError(`KeyFile and CertFile must both be present[key: ${info.keyFile}, cert: ${info.certFile}]`);
      }
      checkAllowedNames(info);
      continue;
    }
    const url = urlToEtcdString(u);
    if (!tlsEmpty(info)) log.warn({ 'peer-url': url }, 'scheme is HTTP while key and cert files are present; ignoring key and cert files');
    if (info.clientCertAuth) {
      log.warn({ 'peer-url': url }, 'scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL');
    }
  }
  const files = tlsEmpty(info) ? undefined : new ServerTls(info, log);
  if (files !== undefined) log.info({ 'cert-file': info.certFile, 'trusted-ca-file': info.trustedCaFile }, 'starting with peer TLS');
  let cached: { version: number; creds: ChannelCredentials } | undefined;
  return {
    files,
    credentials(url: string): ChannelCredentials {
      if (!url.startsWith('https:')) return credentials.createInsecure();
      if (files === undefined) return credentials.createSsl();
      const o = files.options();
      if (cached === undefined || cached.version !== files.version) {
        // An auto-TLS certificate is not verified (etcd: InsecureSkipVerify for self-signed certs);
        // allowed names are checked on the peer's certificate when dialling too, as etcd does.
        const verify = files.info.selfCert
          ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
          : hasAllowedNames(info)
            ? {
                checkServerIdentity: (host: string, cert: PeerCertificate) => {
                  const refused = allowedNamesRefusal(info, cert);
                  return refused !== undefined ? new Error(refused) : checkServerIdentity(host, cert);
                },
              }
            : {};
        cached = { version: files.version, creds: credentials.createFromSecureContext(createSecureContext(o), verify) };
      }
      return cached.creds;
    },
  };
}

/** Peers over plain HTTP/2 only (no peer TLS configured; for embedders and tests). */
export const PLAIN_PEERS: PeerTls = { files: undefined, credentials: () => credentials.createInsecure() };
