/**
 * X.509 certificates with ECDSA P-256 keys (what etcd's self-signed certificates use), made with
 * @peculiar/x509 over Node's WebCrypto: self-signed, or signed by a CA made the same way.
 * Used by auto-TLS, and by the tests to make their CAs and certificates.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** ECDSA on P-256 with SHA-256, or on P-521 with SHA-512 (what Go signs with for that curve). */
function algorithm(curve: 'P-256' | 'P-521'): { name: string; namedCurve: string; hash: string } {
  return { name: 'ECDSA', namedCurve: curve, hash: curve === 'P-521' ? 'SHA-512' : 'SHA-256' };
}

export interface Issuer {
  certPem: string;
  /** The CA's subject, e.g. `CN=test-ca`. */
  subject: string;
  privateKey: CryptoKey;
}

export interface CertRequest {
  /** Distinguished name, e.g. `O=etcd` or `CN=root`. */
  subject: string;
  /** DNS names and IP addresses for the subjectAltName. */
  hosts?: string[];
  serverAuth?: boolean;
  clientAuth?: boolean;
  /** A CA certificate (basic constraints CA:true, keyCertSign). */
  isCa?: boolean;
  /** etcd's self-signed certificates: CA:true, but key usages digitalSignature, keyEncipherment, cRLSign. */
  selfSignedServer?: boolean;
  /** Default P-256. */
  curve?: 'P-256' | 'P-521';
  notBefore?: Date;
  notAfter: Date;
  /** Signed by this CA; self-signed when absent. */
  issuer?: Issuer;
}

export interface MadeCert {
  certPem: string;
  keyPem: string;
  /** For signing further certificates when this one is a CA. */
  asIssuer: Issuer;
}

export async function makeCert(r: CertRequest): Promise<MadeCert> {
  const ALG = algorithm(r.curve ?? 'P-256');
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const usages = r.selfSignedServer
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.cRLSign
    : r.isCa
      ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
      : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;
  const eku: string[] = [];
  if (r.serverAuth) eku.push(x509.ExtendedKeyUsage.serverAuth);
  if (r.clientAuth) eku.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(r.isCa === true || r.selfSignedServer === true, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
  ];
  if (eku.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
  const hosts = r.hosts ?? [];
  if (hosts.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) !== 0 ? 'ip' : 'dns', value: h }))));
  }
  const common = {
    // 128 random bits, positive, as Go's crypto/rand serials.
    serialNumber: `01${randomBytes(16).toString('hex')}`,
    notBefore: r.notBefore ?? new Date(),
    notAfter: r.notAfter,
    signingAlgorithm: ALG,
    extensions,
  };
  const cert =
    r.issuer === undefined
      ? await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: r.subject, keys })
      : await x509.X509CertificateGenerator.create({
          ...common,
          subject: r.subject,
          issuer: r.issuer.subject,
          signingKey: r.issuer.privateKey,
          publicKey: keys.publicKey,
        });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const certPem = cert.toString('pem');
  return {
    certPem,
    keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
    asIssuer: { certPem, subject: r.subject, privateKey: keys.privateKey },
  };
}
