/**
 * The server side of a TLS port: raw connections handed to a (never listening) tls.Server, the
 * path Node's own secure HTTP/2 servers take, with the ServerTls's current files (set again when
 * they change, for new connections only). A failed handshake, or a certificate the extra check
 * refuses (etcd's --peer-cert-allowed-cn / -hostname), is logged as etcd logs it and the
 * connection closed; a secure socket goes to `onSecure`.
 */
import type { Socket } from 'node:net';
import { createServer as createTlsServer, type PeerCertificate, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ServerTls } from './server-tls';

export interface TlsAcceptorOptions {
  tls: ServerTls;
  log: Logger;
  /** etcd's log message for a refused connection, e.g. `rejected connection on client endpoint`. */
  rejectedMessage: string;
  /** ALPN protocols in the server's order of preference. */
  alpn: string[];
  /** An extra check of a verified client certificate: an error text refuses it. */
  checkCert?: (cert: PeerCertificate) => string | undefined;
  onSecure(t: TLSSocket): void;
}

export class TlsAcceptor {
  private server: TlsServer | undefined;
  private version = -1;

  constructor(private readonly o: TlsAcceptorOptions) {}

  private reject(t: TLSSocket, error: string, cert?: PeerCertificate): void {
    // (The address is gone when the handshake failed on a socket already closed.)
    const fields: Record<string, unknown> = {
      ...(t.remoteAddress !== undefined ? { 'remote-addr': `${t.remoteAddress}:${t.remotePort ?? ''}` } : {}),
      'server-name': typeof t.servername === 'string' ? t.servername : '',
      error,
    };
    if (cert?.subjectaltname !== undefined) fields['subject-alt-names'] = cert.subjectaltname;
    this.o.log.warn(fields, this.o.rejectedMessage);
  }

  accept(socket: Socket): void {
    const { tls } = this.o;
    const options = tls.options();
    if (this.server === undefined) {
      this.server = createTlsServer({
        ...options,
        ALPNProtocols: this.o.alpn,
        requestCert: tls.requestCert,
        rejectUnauthorized: tls.requestCert,
      });
      this.server.on('secureConnection', (t: TLSSocket) => {
        const check = this.o.checkCert;
        if (check !== undefined) {
          const cert = t.getPeerCertificate(true);
          const refused = check(cert);
          if (refused !== undefined) {
            this.reject(t, refused, cert);
            t.destroy();
            return;
          }
        }
        this.o.onSecure(t);
      });
      this.server.on('tlsClientError', (e, t) => this.reject(t, e.message));
    } else if (this.version !== tls.version) {
      this.server.setSecureContext(options);
    }
    this.version = tls.version;
    this.server.emit('connection', socket);
  }
}
