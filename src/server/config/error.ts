/**
 * A configuration error: the message is etcd's own text for the same mistake, so that the
 * single line printed by `bin/etcd-ts` reads like etcd's.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
