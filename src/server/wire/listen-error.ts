/**
 * A port that cannot be bound, worded as Go's net.Listen words it (what etcd prints):
 * `listen tcp 127.0.0.1:2379: bind: address already in use`.
 */
const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

export function listenError(e: unknown, host: string, port: number): Error {
  const err = e as NodeJS.ErrnoException & { details?: string };
  const text = `${err.code ?? ''} ${err.message ?? ''} ${err.details ?? ''}`;
  const code = Object.keys(REASONS).find((c) => text.includes(c));
  if (code === undefined) return err instanceof Error ? err : new Error(String(e));
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return new Error(`listen tcp ${h}:${port}: bind: ${REASONS[code]}`);
}
