/**
 * Certificates made by the tests themselves (ECDSA P-256, through src/server/tls/x509):
 * a CA; a server certificate for 127.0.0.1 and localhost (server and client auth, as etcd's
 * docs make them); a client certificate `CN=root`; one from another CA; one expired; a second
 * server certificate with another common name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCert } from '../../src/server/tls/x509';
import * as x509 from '@peculiar/x509';

export interface CertFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  otherCaClientCert: string;
  otherCaClientKey: string;
  expiredClientCert: string;
  expiredClientKey: string;
  /** Like the server certificate (same CA, hosts and usages) but `CN=intruder`. */
  intruderCert: string;
  intruderKey: string;
  /** A client certificate from the CA, revoked by `crl`. */
  revokedClientCert: string;
  revokedClientKey: string;
  /** The CA's revocation list (DER, as etcd reads it) naming revokedClientCert. */
  crl: string;
}

const DAY = 24 * 3600 * 1000;

export async function makeCertFiles(serverHosts = ['127.0.0.1', 'localhost']): Promise<CertFiles> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-certs-'));
  const later = new Date(Date.now() + 2 * DAY);
  const ca = await makeCert({ subject: 'CN=etcd-ts test CA', isCa: true, notAfter: later });
  const other = await makeCert({ subject: 'CN=another CA', isCa: true, notAfter: later });
  const server = await makeCert({
    subject: 'CN=etcd-server',
    hosts: serverHosts,
    serverAuth: true,
    clientAuth: true,
    notAfter: later,
    issuer: ca.asIssuer,
  });
  const intruder = await makeCert({
    subject: 'CN=intruder',
    hosts: serverHosts,
    serverAuth: true,
    clientAuth: true,
    notAfter: later,
    issuer: ca.asIssuer,
  });
  // Usable as a client certificate and as a member's peer certificate.
  const revoked = await makeCert({
    subject: 'CN=root',
    hosts: serverHosts,
    serverAuth: true,
    clientAuth: true,
    notAfter: later,
    issuer: ca.asIssuer,
  });
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.asIssuer.subject,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: later,
    entries: [{ serialNumber: new x509.X509Certificate(revoked.certPem).serialNumber, revocationDate: new Date(Date.now() - 60_000) }],
    signingKey: ca.asIssuer.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const client = await makeCert({ subject: 'CN=root', clientAuth: true, notAfter: later, issuer: ca.asIssuer });
  const stranger = await makeCert({ subject: 'CN=root', clientAuth: true, notAfter: later, issuer: other.asIssuer });
  const expired = await makeCert({
    subject: 'CN=root',
    clientAuth: true,
    notBefore: new Date(Date.now() - 3 * DAY),
    notAfter: new Date(Date.now() - DAY),
    issuer: ca.asIssuer,
  });
  const writeBytes = (name: string, bytes: Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes, { mode: 0o600 });
    return p;
  };
  const write = (name: string, text: string): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text, { mode: 0o600 });
    return p;
  };
  return {
    dir,
    ca: write('ca.pem', ca.certPem),
    serverCert: write('server.pem', server.certPem),
    serverKey: write('server-key.pem', server.keyPem),
    clientCert: write('client.pem', client.certPem),
    clientKey: write('client-key.pem', client.keyPem),
    otherCaClientCert: write('other-client.pem', stranger.certPem),
    otherCaClientKey: write('other-client-key.pem', stranger.keyPem),
    expiredClientCert: write('expired-client.pem', expired.certPem),
    expiredClientKey: write('expired-client-key.pem', expired.keyPem),
    intruderCert: write('intruder.pem', intruder.certPem),
    intruderKey: write('intruder-key.pem', intruder.keyPem),
    revokedClientCert: write('revoked-client.pem', revoked.certPem),
    revokedClientKey: write('revoked-client-key.pem', revoked.keyPem),
    crl: writeBytes('crl.der', Buffer.from(crl.rawData)),
  };
}
