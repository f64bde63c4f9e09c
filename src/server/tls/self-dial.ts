/**
 * Credentials for a member dialling its own kind's client URLs (the JSON gateway calling this
 * member, lease renewals forwarded to the leader), as etcd's gateway dials: over TLS for https
 * and unixs URLs without verifying the server, presenting the member's own certificate (so a client-cert-
 * auth port accepts it); plain HTTP/2 for http URLs.
 */
import { type ChannelCredentials, credentials } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import type { TlsInfo } from '../config/tls';
import { unixSocketPath } from '../config/urls';

/** TLS for https and unixs URLs (Gateway passes the bare scheme, `http:` or `https:`). */
export function selfDialCredentials(url: string, tls: TlsInfo | undefined): ChannelCredentials {
  if (!/^(https|unixs):/.test(url) || tls === undefined || tls.certFile === '') return credentials.createInsecure();
  return credentials.createSsl(null, readFileSync(tls.keyFile), readFileSync(tls.certFile), {
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  });
}

/**
 * The gRPC target of a client URL: `host:port`, or for a unix/unixs URL `unix:<socket path>`
 * (the path etcd's listener binds; etcd's grpcGatewayDial dials `unix:<addr>` too).
 */
export function selfDialTarget(url: string): string {
  if (/^unixs?:/.test(url)) return `unix:${unixSocketPath(new URL(url))}`;
  return url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
}
