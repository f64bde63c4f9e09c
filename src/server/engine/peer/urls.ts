/**
 * Peer URL -> grpc-js target. http(s)://host:port -> host:port (IPv6 stays bracketed); the
 * credentials (TLS for https) come from tls/peer-tls. unix://path and unixs are not supported yet.
 */
export function grpcTarget(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(`unsupported peer URL scheme ${u.protocol} in ${u.href} (only http and https are implemented)`);
  }
  if (u.port === '') throw new Error(`peer URL ${u.href} has no port`);
  return `${u.hostname}:${u.port}`;
}
