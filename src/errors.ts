/**
 * Typed errors shared by the cores (`src/raft`, `src/mvcc`, `src/lease`) and the server.
 *
 * Inside the project an error is identified by its `kind`; the wire text and gRPC code of
 * each kind live in exactly one table at the gRPC edge (`src/server/wire/error-table.ts`),
 * which is etcd's `api/v3rpc/rpctypes/error.go`. Nothing else may spell etcd's strings.
 */
export type ErrorKind =
  | 'EmptyKey'
  | 'KeyNotFound'
  | 'ValueProvided'
  | 'LeaseProvided'
  | 'TooManyOps'
  | 'DuplicateKey'
  | 'InvalidClientAPIVersion'
  | 'InvalidSortOption'
  | 'Compacted'
  | 'FutureRev'
  | 'NoSpace'
  | 'LeaseNotFound'
  | 'LeaseExist'
  | 'LeaseTTLTooLarge'
  | 'WatchCanceled'
  | 'MemberExist'
  | 'PeerURLExist'
  | 'MemberNotEnoughStarted'
  | 'MemberBadURLs'
  | 'MemberNotFound'
  | 'MemberNotLearner'
  | 'LearnerNotReady'
  | 'TooManyLearners'
  | 'ClusterIDMismatch'
  | 'RequestTooLarge'
  | 'TooManyRequests'
  | 'RootUserNotExist'
  | 'RootRoleNotExist'
  | 'UserAlreadyExist'
  | 'UserEmpty'
  | 'UserNotFound'
  | 'RoleAlreadyExist'
  | 'RoleNotFound'
  | 'RoleEmpty'
  | 'AuthFailed'
  | 'NoPasswordUser'
  | 'VerifyOnly'
  | 'PasswordTooLong'
  | 'WrongDowngradeVersionFormat'
  | 'InvalidDowngradeTargetVersion'
  | 'DowngradeInProcess'
  | 'NoInflightDowngrade'
  | 'UnknownMethod'
  | 'PermissionNotGiven'
  | 'PermissionDenied'
  | 'RoleNotGranted'
  | 'PermissionNotGranted'
  | 'AuthNotEnabled'
  | 'InvalidAuthToken'
  | 'InvalidAuthMgmt'
  | 'AuthOldRevision'
  | 'NoLeader'
  | 'NotLeader'
  | 'LeaderChanged'
  | 'NotCapable'
  | 'Stopped'
  | 'Timeout'
  | 'TimeoutDueToLeaderFail'
  | 'TimeoutDueToConnectionLost'
  | 'TimeoutWaitAppliedIndex'
  | 'Unhealthy'
  | 'Corrupt'
  | 'NotSupportedForLearner'
  | 'BadLeaderTransferee'
  | 'Canceled'
  | 'DeadlineExceeded'
  | 'Unimplemented';

/** An error with a known etcd meaning. `detail` is for logs only; it never reaches the wire. */
export class EtcdError extends Error {
  readonly kind: ErrorKind;
  readonly detail: string | undefined;

  constructor(kind: ErrorKind, detail?: string) {
    super(detail === undefined ? kind : `${kind}: ${detail}`);
    this.name = 'EtcdError';
    this.kind = kind;
    this.detail = detail;
  }
}

export function isEtcdError(e: unknown, kind?: ErrorKind): e is EtcdError {
  return e instanceof EtcdError && (kind === undefined || e.kind === kind);
}
