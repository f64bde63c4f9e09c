/**
 * Peer URL -> grpc-js target. http://host:port -> host:port (IPv6 stays bracketed),
 * unix://path and unixs are not supported yet, https (peer TLS) is not supported yet.
 */
export function grpcTarget(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'http:') throw new Error(`unsupported peer URL scheme ${u.protocol} in ${u.href} (only http is implemented)`);
  if (u.port === '') throw new Error(`peer URL ${u.href} has no port`);
  return `${u.hostname}:${u.port}`;
}
