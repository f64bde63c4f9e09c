/**
 * An https peer URL: a TCP listener whose connections complete the TLS handshake (TlsAcceptor:
 * client certificates checked, refusals logged as `rejected connection on peer endpoint`) and are
 * then injected into the peer gRPC server as HTTP/2 connections.
 */
import { createServer, type Socket } from 'node:net';
import type { Server } from '@grpc/grpc-js';
import { ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ServerTls } from '../../tls/server-tls';
import { TlsAcceptor } from '../../tls/tls-acceptor';
import { listenError } from '../../wire/listen-error';
import { allowedNamesRefusal } from '../../tls/allowed-names';
import { CrlCheck } from '../../tls/crl';

export interface TlsPeerListener {
  port: number;
  close(): void;
}

export function listenTls(grpc: Server, host: string, port: number, tls: ServerTls, log: Logger): Promise<TlsPeerListener> {
  const injector = grpc.createConnectionInjector(ServerCredentials.createInsecure());
  const sockets = new Set<Socket>();
  const crl = tls.info.crlFile ? new CrlCheck(tls.info.crlFile) : undefined;
  const acceptor = new TlsAcceptor({
    tls,
    log,
    rejectedMessage: 'rejected connection on peer endpoint',
    alpn: ['h2'],
    checkCert: (cert) => allowedNamesRefusal(tls.info, cert) ?? crl?.refusal(cert),
    onSecure: (t) => injector.injectConnection(t),
  });
  const net = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', (e) => log.debug({ err: e.message }, 'peer connection error'));
    acceptor.accept(socket);
  });
  return new Promise((resolve, reject) => {
    net.once('error', (e) => reject(listenError(e, host, port)));
    net.listen({ port, host: host === '' ? undefined : host, exclusive: true }, () => {
      net.removeAllListeners('error');
      const addr = net.address();
      resolve({
        port: typeof addr === 'object' && addr !== null ? addr.port : port,
        close: () => {
          net.close();
          for (const s of sockets) s.destroy();
        },
      });
    });
  });
}
