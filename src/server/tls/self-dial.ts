/**
 * Credentials for a member dialling its own kind's client URLs (the JSON gateway calling this
 * member, lease renewals forwarded to the leader), as etcd's gateway dials: over TLS for https
 * URLs without verifying the server, presenting the member's own certificate (so a client-cert-
 * auth port accepts it); plain HTTP/2 for http URLs.
 */
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { TlsInfo } from '../config/tls';

export function selfDialCredentials(url: string, tls: TlsInfo | undefined): ChannelCredentials {
  if (!url.startsWith('https:') || tls === undefined || tls.certFile === '') return credentials.createInsecure();
  return credentials.createSsl(null, readFileSync(tls.keyFile), readFileSync(tls.certFile), {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
}
