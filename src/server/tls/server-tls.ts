/**
 * The server side of a TLS listener: the key pair and trusted CAs read from their files, checked
 * at start with etcd's texts (`open x.pem: no such file or directory`, `tls: private key does not
 * match public key`), and read again for new connections when a file changes, as etcd reads its
 * files on every handshake, so that a renewed certificate takes effect without a restart.
 * Connections already open keep the context they were made with.
 */
import { readFileSync, statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import { nodeTlsVersion, opensslCiphers, requiresClientCert, type TlsInfo, TlsSetupError } from '../config/tls';

/** Go's text for a file it cannot read. */
function readOrFail(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new TlsSetupError(`open ${path}: ${why}`);
  }
}

const hasPem = (b: Buffer): boolean => b.includes('-----BEGIN');

/** The files read and checked (a context is built once to check them). */
function load(info: TlsInfo): SecureContextOptions {
  const cert = readOrFail(info.certFile);
  const key = readOrFail(info.keyFile);
  if (!hasPem(cert)) throw new TlsSetupError('tls: failed to find any PEM data in certificate input');
  if (!hasPem(key)) throw new TlsSetupError('tls: failed to find any PEM data in key input');
  const ca = info.trustedCaFile !== '' ? readOrFail(info.trustedCaFile) : undefined;
  const maxVersion = nodeTlsVersion(info.maxVersion ?? '');
  const ciphers = opensslCiphers(info.cipherSuites ?? []);
  const options: SecureContextOptions = {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    minVersion: nodeTlsVersion(info.minVersion ?? '') ?? 'TLSv1.2',
    ...(maxVersion !== undefined ? { maxVersion } : {}),
    ...(ciphers !== undefined ? { ciphers } : {}),
  };
  try {
    createSecureContext(options);
  } catch (e) {
    const m = (e as Error).message;
    if (/key values mismatch/.test(m)) throw new TlsSetupError('tls: private key does not match public key');
    throw new TlsSetupError(`tls: ${m}`);
  }
  return options;
}

export class ServerTls {
  /** Client certificates are required and verified (etcd: --client-cert-auth or --trusted-ca-file). */
  readonly requestCert: boolean;
  private current: SecureContextOptions;
  private stamp: string;
  /** Bumped each time the files are read again. */
  version = 0;

  constructor(
    readonly info: TlsInfo,
    private readonly log: Logger,
  ) {
    this.requestCert = requiresClientCert(info);
    this.stamp = this.fileStamp();
    this.current = load(info);
  }

  /** The files' sizes and modification times: a change means new files to read. */
  private fileStamp(): string {
    return [this.info.certFile, this.info.keyFile, this.info.trustedCaFile]
      .filter((f) => f !== '')
      .map((f) => {
        try {
          const s = statSync(f);
          return `${s.size}:${s.mtimeMs}:${s.ino}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  /** The options for a new connection: the files read again if they changed (the last good ones if they do not load). */
  options(): SecureContextOptions {
    const stamp = this.fileStamp();
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      try {
        this.current = load(this.info);
        this.version++;
        this.log.info({ 'cert-file': this.info.certFile, 'key-file': this.info.keyFile }, 'reloaded TLS certificate files');
      } catch (e) {
        this.log.warn(
          { 'cert-file': this.info.certFile, error: (e as Error).message },
          'failed to reload TLS certificate files; keeping the previous ones',
        );
      }
    }
    return this.current;
  }
}
