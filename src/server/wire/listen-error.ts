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

/** Go's texts (syscall.Errno.Error) for the errors binding or removing a unix socket file gives. */
const ERRNO_TEXTS: Record<string, string> = {
  ...REASONS,
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOTEMPTY: 'directory not empty',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many levels of symbolic links',
  EINVAL: 'invalid argument',
  EBUSY: 'device or resource busy',
};

function errnoText(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : ERRNO_TEXTS[code];
}

/** A unix socket that cannot be bound, as Go words it: `listen unix /run/etcd.sock: bind: permission denied`. */
export function unixListenError(e: unknown, path: string): Error {
  const text = errnoText(e);
  if (text === undefined) return e instanceof Error ? e : new Error(String(e));
  return new Error(`listen unix ${path}: bind: ${text}`);
}

/** A file that cannot be removed, as Go's os.Remove words it: `remove /run/etcd.sock: permission denied`. */
export function removeError(e: unknown, path: string): Error {
  const text = errnoText(e);
  if (text === undefined) return e instanceof Error ? e : new Error(String(e));
  return new Error(`remove ${path}: ${text}`);
}
