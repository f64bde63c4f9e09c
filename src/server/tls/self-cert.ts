/**
 * Auto-TLS (`--auto-tls`, `--peer-auto-tls`), as etcd's transport.SelfCert: a self-signed
 * certificate (organisation `etcd`, ECDSA P-521, CA:true, server auth, valid
 * --self-signed-cert-validity years) for the hosts of the listen URLs, written as cert.pem and
 * key.pem into `<data-dir>/fixtures/client` or `fixtures/peer` and reused from there on later
 * starts. Peers and clients of such a certificate do not verify it (etcd's InsecureSkipVerify).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import type { TlsInfo } from '../config/tls';
import { TlsSetupError } from '../config/tls';
import { makeCert } from './x509';

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** Hosts of `host:port` pairs, brackets of IPv6 literals removed. */
function hostOf(hostPort: string): string {
  const m = /^\[([^\]]*)\](?::\d*)?$/.exec(hostPort);
  if (m) return m[1]!;
  const i = hostPort.lastIndexOf(':');
  return i < 0 ? hostPort : hostPort.slice(0, i);
}

export async function selfCert(dir: string, hosts: string[], validityYears: number, log: Logger): Promise<TlsInfo> {
  if (!(validityYears > 0)) throw new TlsSetupError('selfSignedCertValidity is invalid,it should be greater than 0');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = resolve(join(dir, 'cert.pem'));
  const keyFile = resolve(join(dir, 'key.pem'));
  const info: TlsInfo = { certFile, keyFile, trustedCaFile: '', clientCertAuth: false, selfCert: true };
  if (existsSync(certFile) && existsSync(keyFile)) return info;
  const notAfter = new Date(Date.now() + validityYears * YEAR_MS);
  log.warn({ 'certificate-validity-bound-not-after': notAfter.toISOString() }, 'automatically generate certificates');
  const cert = await makeCert({
    subject: 'O=etcd',
    hosts: [...new Set(hosts.map(hostOf))].filter((h) => h !== ''),
    serverAuth: true,
    selfSignedServer: true,
    curve: 'P-521',
    notAfter,
  });
  writeFileSync(certFile, cert.certPem, { mode: 0o600 });
  writeFileSync(keyFile, cert.keyPem, { mode: 0o600 });
  log.info({ path: certFile }, 'created cert file');
  log.info({ path: keyFile }, 'created key file');
  return info;
}

/**
 * The TLS files a listener uses: the given ones, or with auto-TLS and none given, the
 * self-signed pair in `<data-dir>/fixtures/<client|peer>` (etcd's ClientSelfCert / PeerSelfCert).
 */
export async function withAutoTls(
  what: 'client' | 'peer',
  auto: boolean,
  given: TlsInfo,
  dataDir: string,
  urls: URL[],
  validityYears: number,
  log: Logger,
): Promise<TlsInfo> {
  if (!auto) return given;
  if (given.certFile !== '' || given.keyFile !== '') {
    log.warn(`ignoring ${what} auto TLS since certs given`);
    return given;
  }
  // As etcd, the self-signed files replace the whole TLS setting (--client-cert-auth included).
  return selfCert(
    join(dataDir, 'fixtures', what),
    urls.map((u) => u.host),
    validityYears,
    log,
  );
}

/**
 * The client and peer TLS settings the listeners use: the given files or auto-TLS ones, with the
 * TLS versions and cipher suites (shared by both, as etcd's).
 */
export async function listenerTls(
  c: Pick<
    Config,
    | 'clientTls'
    | 'peerTls'
    | 'clientAutoTls'
    | 'peerAutoTls'
    | 'dataDir'
    | 'listenClientUrls'
    | 'listenPeerUrls'
    | 'selfSignedCertValidity'
    | 'tlsMinVersion'
    | 'tlsMaxVersion'
    | 'cipherSuites'
  >,
  log: Logger,
): Promise<{ client: TlsInfo; peer: TlsInfo }> {
  const versions = { minVersion: c.tlsMinVersion, maxVersion: c.tlsMaxVersion, cipherSuites: c.cipherSuites };
  const peer = await withAutoTls('peer', c.peerAutoTls, c.peerTls, c.dataDir, c.listenPeerUrls, c.selfSignedCertValidity, log);
  const client = await withAutoTls('client', c.clientAutoTls, c.clientTls, c.dataDir, c.listenClientUrls, c.selfSignedCertValidity, log);
  return { client: { ...client, ...versions }, peer: { ...peer, ...versions } };
}
