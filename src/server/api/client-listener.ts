/**
 * The client port serves gRPC and HTTP/1.1 on one socket, as etcd's cmux does: a connection
 * whose first bytes are the HTTP/2 prior-knowledge preface is served by etcd-ts's HTTP/2
 * (wire/unary-routes.ts; grpc-js serves what is not served there), anything else by the HTTP
 * handler.
 *
 * An https listener first completes the TLS handshake (client certificates required when the
 * ServerTls says so) and routes by ALPN: `h2` (what gRPC clients offer) to gRPC as above,
 * `http/1.1` (preferred when the client offers it, as curl and browsers do) to the HTTP handler,
 * no ALPN by the preface as above. etcd serves its HTTP endpoints over TLS with HTTP/2 too;
 * etcd-ts answers them over HTTP/1.1.
 *
 * The same listener serves a unix domain socket (`unix://` and `unixs://` URLs, bindUnix):
 * as etcd's transport.NewUnixListener, a file already at the path is removed before binding,
 * and the socket file is removed again when the listener closes.
 */
import { rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ServerTls } from '../tls/server-tls';
import { TlsAcceptor } from '../tls/tls-acceptor';
import { listenError, removeError, unixListenError } from '../wire/listen-error';
import { CrlCheck } from '../tls/crl';
import type { UnaryRoutes } from '../wire/unary-routes';
import { newestHttp2Server } from '../wire/grpc-js-call';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** The longest unix socket path Go binds (syscall.SockaddrUnix: sun_path is 108 bytes, NUL included). */
const MAX_UNIX_PATH_BYTES = 107;

/**
 * Go's os.Remove (unlink, then rmdir: an empty directory goes too), a missing file not an error,
 * as etcd's NewUnixListener and unixListener.Close call it. Throws Go's text.
 */
function removeSocketFile(path: string): void {
  let unlinkError: unknown;
  try {
    unlinkSync(path);
    return;
  } catch (e) {
    unlinkError = e;
  }
  try {
    rmdirSync(path);
    return;
  } catch (e) {
    // rmdir of a file says ENOTDIR: the unlink error is the real one.
    const err = (e as NodeJS.ErrnoException).code === 'ENOTDIR' ? unlinkError : e;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw removeError(err, path);
  }
}

export class ClientListener {
  private readonly net: NetServer;
  private readonly sockets = new Set<Socket>();
  private http: ReturnType<typeof createHttpServer> | undefined;
  /** Connections accepted before serve(): held, unread, until the member can answer them. */
  private held: Socket[] | undefined = [];
  private route: ((socket: Socket) => void) | undefined;
  /** The socket file of a unix listener (removed on close). */
  private unixPath: string | undefined;

  /**
   * `mode`: `both` (gRPC and HTTP, etcd's default client port), `grpc` (a client URL when
   * --listen-client-http-urls takes the HTTP traffic), `http` (those URLs, and the metrics URLs).
   */
  constructor(
    private readonly log: Logger,
    private readonly tls?: ServerTls,
    private readonly mode: 'both' | 'grpc' | 'http' = 'both',
  ) {
    this.net = createNetServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.setNoDelay(true);
      socket.on('error', (e) => log.debug({ err: e.message }, 'client connection error'));
      if (this.route !== undefined) this.route(socket);
      else {
        socket.pause();
        this.held?.push(socket);
      }
    });
  }

  /**
   * Serves gRPC and HTTP on the bound socket, including the connections that arrived since it was
   * bound (a start binds its ports first, as etcd does, so a port it cannot have fails the start
   * before the data dir is touched).
   */
  serve(grpc: GrpcServer, handler: (req: IncomingMessage, res: ServerResponse) => void, unary?: UnaryRoutes): void {
    const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
    const own = unary !== undefined && unary.attach(newestHttp2Server(grpc));
    if (unary !== undefined && !own) {
      this.log.warn('HTTP/2 connections go to grpc-js: its HTTP/2 server was not found (another grpc-js version?)');
    }
    // The HTTP/2 connection: etcd-ts's own (wire/h2), or grpc-js's if its layout is unknown.
    const h2 = (socket: Socket): void => {
      if (own) unary.serve(socket);
      else injector.injectConnection(socket);
    };
    const http = createHttpServer(handler);
    this.http = http;
    const mode = this.mode;
    const sniff = (socket: Socket): void => {
      if (mode === 'http') {
        http.emit('connection', socket);
        socket.resume();
        return;
      }
      if (mode === 'grpc') {
        h2(socket);
        return;
      }
      let buffered: Buffer = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        const n = Math.min(buffered.length, PREFACE.length);
        if (buffered.subarray(0, n).equals(PREFACE.subarray(0, n)) && buffered.length < PREFACE.length) return;
        socket.off('data', onData);
        socket.pause();
        socket.unshift(buffered);
        if (buffered.subarray(0, PREFACE.length).equals(PREFACE)) {
          // HTTP/2 reads the socket's buffered bytes itself; resuming here would steal them.
          h2(socket);
        } else {
          http.emit('connection', socket);
          socket.resume();
        }
      };
      socket.on('data', onData);
      socket.resume();
    };
    const tls = this.tls;
    const byAlpn = (t: TLSSocket): void => {
      if (mode !== 'both') sniff(t);
      else if (t.alpnProtocol === 'h2') h2(t);
      else if (t.alpnProtocol === 'http/1.1') http.emit('connection', t);
      else sniff(t);
    };
    if (tls === undefined) this.route = sniff;
    else {
      const crl = tls.info.crlFile ? new CrlCheck(tls.info.crlFile) : undefined;
      const acceptor = new TlsAcceptor({
        tls,
        log: this.log,
        rejectedMessage: 'rejected connection on client endpoint',
        alpn: mode === 'grpc' ? ['h2'] : mode === 'http' ? ['http/1.1'] : ['http/1.1', 'h2'],
        ...(crl !== undefined ? { checkCert: (cert: PeerCertificate) => crl.refusal(cert) } : {}),
        onSecure: (t) => {
          this.sockets.add(t);
          t.once('close', () => this.sockets.delete(t));
          t.on('error', (e) => this.log.debug({ err: e.message }, 'client connection error'));
          byAlpn(t);
        },
      });
      this.route = (socket) => acceptor.accept(socket);
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const socket of held) if (!socket.destroyed) this.route(socket);
  }

  /** Binds the port (0: a free one) and resolves with it; connections wait for serve(). */
  bind(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.net.once('error', (e) => reject(listenError(e, host, port)));
      this.net.listen({ port, host: host === '' ? undefined : host, exclusive: true }, () => {
        this.net.removeAllListeners('error');
        const addr = this.net.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /**
   * Binds a unix domain socket at `path` (relative to the working directory unless absolute), as
   * etcd's transport.NewUnixListener: whatever is at the path is removed first (a stale socket
   * from a killed member, as any other file). Connections wait for serve().
   */
  bindUnix(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        removeSocketFile(path);
      } catch (e) {
        reject(e as Error);
        return;
      }
      // Go refuses a path sun_path cannot hold (EINVAL); Node would bind a truncated one.
      if (Buffer.byteLength(path) > MAX_UNIX_PATH_BYTES) {
        reject(unixListenError(Object.assign(new Error('EINVAL'), { code: 'EINVAL' }), path));
        return;
      }
      this.net.once('error', (e: NodeJS.ErrnoException) => {
        // libuv reports a missing directory (ENOENT) as EACCES; Go reports what bind(2) said.
        if (e.code === 'EACCES') {
          try {
            statSync(dirname(path));
          } catch (s) {
            if ((s as NodeJS.ErrnoException).code === 'ENOENT') e = Object.assign(new Error(e.message), { code: 'ENOENT' });
          }
        }
        reject(unixListenError(e, path));
      });
      this.net.listen({ path, exclusive: true }, () => {
        this.net.removeAllListeners('error');
        this.unixPath = path;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    // etcd's unixListener.Close removes the socket file, then closes the listener.
    if (this.unixPath !== undefined) {
      try {
        removeSocketFile(this.unixPath);
      } catch (e) {
        this.log.warn({ path: this.unixPath, err: (e as Error).message }, 'removing the unix socket file failed');
      }
      this.unixPath = undefined;
    }
    return new Promise((resolve) => {
      this.net.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      this.http?.closeAllConnections?.();
    });
  }
}
