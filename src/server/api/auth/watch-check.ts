/**
 * etcd's isWatchPermitted (`v3rpc/watch.go`): with auth enabled, a watch is created only if the
 * stream's user may read its range; otherwise the create is answered created+canceled with
 * watch id -1 and the reason: the Go gRPC status text of the error, as etcd sends it.
 */
import type { Logger } from 'pino';
import { isEtcdError } from '../../../errors';
import { goStatusText } from '../../wire/error-table';
import { credentialOf, type AuthHost, type CertCall } from './credentials';
import type { Metadata } from '@grpc/grpc-js';

/** The cancel reason, or undefined when the watch may be created. */
export function watchDenied(
  h: AuthHost,
  call: CertCall & { metadata: Metadata },
  key: Buffer,
  rangeEnd: Buffer,
  log: Logger,
): string | undefined {
  if (!h.auth.enabled) return undefined;
  try {
    const ai = credentialOf(h, call.metadata, call, log);
    if (ai instanceof Promise) {
      // A simple token from an entry this member has not applied yet: the stream cannot wait
      // here without reordering its responses, so the watch is refused as with an unknown token
      // (clientv3 authenticates again and retries).
      ai.catch(() => undefined);
      return goStatusText('InvalidAuthToken');
    }
    h.auth.store.checkRange(ai, key.toString('latin1'), rangeEnd.toString('latin1'));
    return undefined;
  } catch (e) {
    if (isEtcdError(e, 'InvalidAuthToken') || isEtcdError(e, 'AuthOldRevision') || isEtcdError(e, 'UserEmpty')) return goStatusText(e.kind);
    if (!isEtcdError(e, 'PermissionDenied')) log.error({ err: (e as Error).message }, 'unexpected error code');
    return goStatusText('PermissionDenied');
  }
}
