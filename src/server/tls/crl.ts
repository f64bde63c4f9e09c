/**
 * `--client-crl-file` / `--peer-crl-file` as etcd checks them (transport.checkCRL): on every new
 * connection the file is read (again when it changed) and a client certificate whose serial number
 * it lists is refused with `transport: certificate serial <hex> revoked`. As in etcd, the list's
 * signature is not verified; a file that cannot be read or parsed refuses the connection.
 */
import 'reflect-metadata';
import { readFileSync, statSync } from 'node:fs';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';
import { X509Crl } from '@peculiar/x509';

/** A serial number as Go's big.Int Bytes() prints in hex: lower case, no leading zero bytes. */
function serialHex(s: string): string {
  let h = s.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (h.length % 2 === 1) h = `0${h}`;
  while (h.startsWith('00') && h.length > 2) h = h.slice(2);
  return h;
}

export class CrlCheck {
  private stamp = '';
  private revoked: Set<string> | Error = new Set();

  constructor(private readonly file: string) {}

  private load(): Set<string> | Error {
    let stamp: string;
    try {
      const s = statSync(this.file);
      stamp = `${s.size}:${s.mtimeMs}:${s.ino}`;
    } catch (e) {
      return new Error(
        `open ${this.file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
      );
    }
    if (stamp === this.stamp) return this.revoked;
    this.stamp = stamp;
    try {
      const crl = new X509Crl(readFileSync(this.file));
      this.revoked = new Set(crl.entries.map((e) => serialHex(e.serialNumber)));
    } catch (e) {
      this.revoked = new Error(`x509: malformed crl: ${(e as Error).message}`);
    }
    return this.revoked;
  }

  /** The refusal text for the presented chain, or undefined when no certificate in it is revoked. */
  refusal(cert: PeerCertificate): string | undefined {
    const revoked = this.load();
    if (revoked instanceof Error) return revoked.message;
    let c: DetailedPeerCertificate | PeerCertificate | undefined = cert;
    const seen = new Set<string>();
    while (c !== undefined && c.serialNumber !== undefined && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      const serial = serialHex(c.serialNumber);
      if (revoked.has(serial)) return `transport: certificate serial ${serial} revoked`;
      c = (c as DetailedPeerCertificate).issuerCertificate;
    }
    return undefined;
  }
}
