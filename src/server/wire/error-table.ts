/**
 * The one table of etcd's wire errors: `ErrorKind` -> gRPC status code and exact message,
 * as in etcd's `api/v3rpc/rpctypes/error.go` (v3.6). clientv3 recognises errors by these exact
 * strings, so they are wire contract.
 */
import { status as Code, type ServiceError, Metadata } from '@grpc/grpc-js';
import { EtcdError, type ErrorKind } from '../../errors';

interface WireError {
  readonly code: Code;
  readonly message: string;
}

const TABLE: Record<ErrorKind, WireError> = {
  EmptyKey: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: key is not provided' },
  KeyNotFound: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: key not found' },
  ValueProvided: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: value is provided' },
  LeaseProvided: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: lease is provided' },
  TooManyOps: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: too many operations in txn request' },
  DuplicateKey: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: duplicate key given in txn request' },
  InvalidClientAPIVersion: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: invalid client api version' },
  InvalidSortOption: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: invalid sort option' },
  Compacted: { code: Code.OUT_OF_RANGE, message: 'etcdserver: mvcc: required revision has been compacted' },
  FutureRev: { code: Code.OUT_OF_RANGE, message: 'etcdserver: mvcc: required revision is a future revision' },
  NoSpace: { code: Code.RESOURCE_EXHAUSTED, message: 'etcdserver: mvcc: database space exceeded' },
  LeaseNotFound: { code: Code.NOT_FOUND, message: 'etcdserver: requested lease not found' },
  LeaseExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: lease already exists' },
  LeaseTTLTooLarge: { code: Code.OUT_OF_RANGE, message: 'etcdserver: too large lease TTL' },
  WatchCanceled: { code: Code.CANCELLED, message: 'etcdserver: watch canceled' },
  MemberExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: member ID already exist' },
  PeerURLExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: Peer URLs already exists' },
  MemberNotEnoughStarted: {
    code: Code.FAILED_PRECONDITION,
    message: 'etcdserver: re-configuration failed due to not enough started members',
  },
  MemberBadURLs: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: given member URLs are invalid' },
  MemberNotFound: { code: Code.NOT_FOUND, message: 'etcdserver: member not found' },
  MemberNotLearner: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: can only promote a learner member' },
  LearnerNotReady: {
    code: Code.FAILED_PRECONDITION,
    message: 'etcdserver: can only promote a learner member which is in sync with leader',
  },
  TooManyLearners: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: too many learner members in cluster' },
  ClusterIDMismatch: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: cluster ID mismatch' },
  RequestTooLarge: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: request is too large' },
  TooManyRequests: { code: Code.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' },
  RootUserNotExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: root user does not exist' },
  RootRoleNotExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: root user does not have root role' },
  UserAlreadyExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: user name already exists' },
  UserEmpty: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: user name is empty' },
  UserNotFound: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: user name not found' },
  RoleAlreadyExist: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: role name already exists' },
  RoleNotFound: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: role name not found' },
  RoleEmpty: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: role name is empty' },
  AuthFailed: {
    code: Code.INVALID_ARGUMENT,
    message: 'etcdserver: authentication failed, invalid user ID or password',
  },
  // Not in etcd's rpctypes table: the server's togRPCError passes them as UNKNOWN with the auth text.
  NoPasswordUser: { code: Code.UNKNOWN, message: 'auth: authentication failed, password was given for no password user' },
  PasswordTooLong: { code: Code.UNKNOWN, message: 'bcrypt: password length exceeds 72 bytes' },
  VerifyOnly: { code: Code.UNKNOWN, message: 'auth: token signing attempted with verify-only key' },
  PermissionNotGiven: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: permission not given' },
  PermissionDenied: { code: Code.PERMISSION_DENIED, message: 'etcdserver: permission denied' },
  RoleNotGranted: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: role is not granted to the user' },
  PermissionNotGranted: {
    code: Code.FAILED_PRECONDITION,
    message: 'etcdserver: permission is not granted to the role',
  },
  AuthNotEnabled: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: authentication is not enabled' },
  InvalidAuthToken: { code: Code.UNAUTHENTICATED, message: 'etcdserver: invalid auth token' },
  InvalidAuthMgmt: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: invalid auth management' },
  AuthOldRevision: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: revision of auth store is old' },
  WrongDowngradeVersionFormat: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: wrong downgrade target version format' },
  InvalidDowngradeTargetVersion: { code: Code.INVALID_ARGUMENT, message: 'etcdserver: invalid downgrade target version' },
  DowngradeInProcess: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: cluster has a downgrade job in progress' },
  // Not in etcd's rpctypes table: passed as UNKNOWN with its text.
  UnknownMethod: { code: Code.UNKNOWN, message: 'etcdserver: unknown method' },
  NoInflightDowngrade: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: no inflight downgrade job' },
  NoLeader: { code: Code.UNAVAILABLE, message: 'etcdserver: no leader' },
  NotLeader: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: not leader' },
  LeaderChanged: { code: Code.UNAVAILABLE, message: 'etcdserver: leader changed' },
  NotCapable: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: not capable' },
  Stopped: { code: Code.UNAVAILABLE, message: 'etcdserver: server stopped' },
  Timeout: { code: Code.UNAVAILABLE, message: 'etcdserver: request timed out' },
  TimeoutDueToLeaderFail: {
    code: Code.UNAVAILABLE,
    message: 'etcdserver: request timed out, possibly due to previous leader failure',
  },
  TimeoutDueToConnectionLost: {
    code: Code.UNAVAILABLE,
    message: 'etcdserver: request timed out, possibly due to connection lost',
  },
  TimeoutWaitAppliedIndex: {
    code: Code.UNAVAILABLE,
    message: 'etcdserver: request timed out, waiting for the applied index took too long',
  },
  Unhealthy: { code: Code.UNAVAILABLE, message: 'etcdserver: unhealthy cluster' },
  Corrupt: { code: Code.DATA_LOSS, message: 'etcdserver: corrupt cluster' },
  NotSupportedForLearner: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: rpc not supported for learner' },
  BadLeaderTransferee: { code: Code.FAILED_PRECONDITION, message: 'etcdserver: bad leader transferee' },
  Canceled: { code: Code.CANCELLED, message: 'etcdserver: request canceled' },
  DeadlineExceeded: { code: Code.DEADLINE_EXCEEDED, message: 'etcdserver: context deadline exceeded' },
  Unimplemented: { code: Code.UNIMPLEMENTED, message: 'unknown service or method' },
};

/** The gRPC status for an error thrown anywhere below the edge. Unknown errors map to UNKNOWN. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof EtcdError) {
    const w = TABLE[err.kind];
    const message = err.kind === 'Unimplemented' && err.detail !== undefined ? err.detail : w.message;
    return { code: w.code, details: message, message, metadata: new Metadata() };
  }
  const text = err instanceof Error ? err.message : String(err);
  return { code: Code.UNKNOWN, details: text, message: text, metadata: new Metadata() };
}

/** The kind whose wire message is `message` (an error relayed from another member), if any. */
export function kindOfMessage(message: string): ErrorKind | undefined {
  for (const [kind, w] of Object.entries(TABLE) as [ErrorKind, WireError][]) if (w.message === message) return kind;
  return undefined;
}

/** The wire message of a kind (used for watch cancel reasons and the HTTP gateway). */
export function wireMessage(kind: ErrorKind): string {
  return TABLE[kind].message;
}

export function wireCode(kind: ErrorKind): Code {
  return TABLE[kind].code;
}

/** Go's names of the gRPC codes (google.golang.org/grpc/codes String()), by code number. */
export const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

/**
 * The text of a gRPC status error in Go (`status.Error(...).Error()`): what etcd puts where it
 * sends an rpctypes error as a string, e.g. a watch's cancel_reason.
 */
export function goStatusText(kind: ErrorKind): string {
  return `rpc error: code = ${GO_CODE_NAMES[wireCode(kind)] ?? 'Unknown'} desc = ${wireMessage(kind)}`;
}
