/**
 * Every flag etcd 3.6 registers (server/embed/config.go AddFlags, server/etcdmain/config.go
 * newConfig, the feature-gate flag and etcd's "ignored" legacy flags), with the value syntax
 * Go's flag package checks for it. `implemented: false` flags are accepted, syntax-checked,
 * and reported with one warning.
 */

/** How a flag's value is parsed (mirrors the Go flag.Value type etcd uses). */
export type FlagKind =
  | 'string'
  | 'bool'
  | 'uint'
  | 'uint32'
  | 'uint64'
  | 'int'
  | 'int64'
  | 'duration'
  | 'urls'
  | 'urls-or-star'
  | 'strings'
  | 'cluster-state'
  | 'discovery-fallback'
  | 'v2-deprecation'
  | 'ignored';

export interface FlagDef {
  name: string;
  kind: FlagKind;
  implemented: boolean;
}

/** Flags Go treats as boolean (`IsBoolFlag`): they never take the next argument. */
export function isBoolFlag(def: FlagDef): boolean {
  return def.kind === 'bool' || def.kind === 'ignored';
}

const IMPLEMENTED: ReadonlyArray<[string, FlagKind]> = [
  ['name', 'string'],
  ['config-file', 'string'],
  ['data-dir', 'string'],
  ['wal-dir', 'string'],
  ['listen-client-urls', 'urls'],
  ['advertise-client-urls', 'urls'],
  ['listen-peer-urls', 'urls'],
  ['initial-advertise-peer-urls', 'urls'],
  ['initial-cluster', 'string'],
  ['initial-cluster-state', 'cluster-state'],
  ['initial-cluster-token', 'string'],
  ['heartbeat-interval', 'uint'],
  ['election-timeout', 'uint'],
  ['snapshot-count', 'uint64'],
  ['snapshot-catchup-entries', 'uint64'],
  ['experimental-snapshot-catchup-entries', 'uint64'],
  ['quota-backend-bytes', 'int64'],
  ['max-request-bytes', 'uint'],
  ['max-txn-ops', 'uint'],
  ['auth-token', 'string'],
  ['bcrypt-cost', 'uint'],
  ['auth-token-ttl', 'uint'],
  ['auto-compaction-mode', 'string'],
  ['auto-compaction-retention', 'string'],
  ['logger', 'string'],
  ['log-level', 'string'],
  ['log-outputs', 'strings'],
  ['log-format', 'string'],
  ['enable-log-rotation', 'bool'],
  ['log-rotation-config-json', 'string'],
  ['pre-vote', 'bool'],
  ['strict-reconfig-check', 'bool'],
  ['watch-progress-notify-interval', 'duration'],
  ['experimental-watch-progress-notify-interval', 'duration'],
  ['unsafe-no-fsync', 'bool'],
  ['version', 'bool'],
  ['cert-file', 'string'],
  ['key-file', 'string'],
  ['trusted-ca-file', 'string'],
  ['client-cert-auth', 'bool'],
  ['peer-cert-file', 'string'],
  ['peer-key-file', 'string'],
  ['peer-trusted-ca-file', 'string'],
  ['peer-client-cert-auth', 'bool'],
  ['auto-tls', 'bool'],
  ['peer-auto-tls', 'bool'],
  ['self-signed-cert-validity', 'uint'],
  ['peer-cert-allowed-cn', 'strings'],
  ['peer-cert-allowed-hostname', 'strings'],
  ['cipher-suites', 'strings'],
  ['tls-min-version', 'string'],
  ['tls-max-version', 'string'],
  ['client-crl-file', 'string'],
  ['peer-crl-file', 'string'],
  ['listen-client-http-urls', 'urls'],
  ['listen-metrics-urls', 'urls'],
  // etcd-ts's own (not an etcd flag): the revision record cache, see README "Storage".
  ['value-cache-bytes', 'uint64'],
];

const NOT_IMPLEMENTED: ReadonlyArray<[string, FlagKind]> = [
  // member
  ['max-snapshots', 'uint'],
  ['max-wals', 'uint'],
  ['initial-election-tick-advance', 'bool'],
  ['backend-bbolt-freelist-type', 'string'],
  ['backend-batch-interval', 'duration'],
  ['backend-batch-limit', 'int'],
  ['grpc-keepalive-min-time', 'duration'],
  ['grpc-keepalive-interval', 'duration'],
  ['grpc-keepalive-timeout', 'duration'],
  ['socket-reuse-port', 'bool'],
  ['socket-reuse-address', 'bool'],
  ['max-concurrent-streams', 'uint32'],
  ['raft-read-timeout', 'duration'],
  ['raft-write-timeout', 'duration'],
  ['feature-gates', 'string'],

  // clustering / discovery
  ['discovery', 'string'],
  ['discovery-endpoints', 'strings'],
  ['discovery-token', 'string'],
  ['discovery-dial-timeout', 'duration'],
  ['discovery-request-timeout', 'duration'],
  ['discovery-keepalive-time', 'duration'],
  ['discovery-keepalive-timeout', 'duration'],
  ['discovery-insecure-transport', 'bool'],
  ['discovery-insecure-skip-tls-verify', 'bool'],
  ['discovery-cert', 'string'],
  ['discovery-key', 'string'],
  ['discovery-cacert', 'string'],
  ['discovery-user', 'string'],
  ['discovery-password', 'string'],
  ['discovery-proxy', 'string'],
  ['discovery-srv', 'string'],
  ['discovery-srv-name', 'string'],
  ['discovery-fallback', 'discovery-fallback'],
  ['v2-deprecation', 'v2-deprecation'],
  // security
  ['client-cert-file', 'string'],
  ['client-key-file', 'string'],
  ['client-cert-allowed-hostname', 'strings'],
  ['peer-client-cert-file', 'string'],
  ['peer-client-key-file', 'string'],
  ['experimental-peer-skip-client-san-verification', 'bool'],
  ['peer-skip-client-san-verification', 'bool'],
  ['cors', 'urls-or-star'],
  ['host-whitelist', 'strings'],
  // logging / observability
  ['enable-pprof', 'bool'],
  ['metrics', 'string'],
  ['experimental-enable-distributed-tracing', 'bool'],
  ['enable-distributed-tracing', 'bool'],
  ['experimental-distributed-tracing-address', 'string'],
  ['distributed-tracing-address', 'string'],
  ['experimental-distributed-tracing-service-name', 'string'],
  ['distributed-tracing-service-name', 'string'],
  ['experimental-distributed-tracing-instance-id', 'string'],
  ['distributed-tracing-instance-id', 'string'],
  ['experimental-distributed-tracing-sampling-rate', 'int'],
  ['distributed-tracing-sampling-rate', 'int'],
  ['enable-grpc-gateway', 'bool'],
  // experimental / feature
  ['experimental-initial-corrupt-check', 'bool'],
  ['experimental-corrupt-check-time', 'duration'],
  ['corrupt-check-time', 'duration'],
  ['experimental-compact-hash-check-enabled', 'bool'],
  ['experimental-compact-hash-check-time', 'duration'],
  ['compact-hash-check-time', 'duration'],
  ['experimental-enable-lease-checkpoint', 'bool'],
  ['experimental-enable-lease-checkpoint-persist', 'bool'],
  ['experimental-compaction-batch-limit', 'int'],
  ['compaction-batch-limit', 'int'],
  ['experimental-compaction-sleep-interval', 'duration'],
  ['compaction-sleep-interval', 'duration'],
  ['downgrade-check-time', 'duration'],
  ['experimental-downgrade-check-time', 'duration'],
  ['experimental-warning-apply-duration', 'duration'],
  ['warning-apply-duration', 'duration'],
  ['warning-unary-request-duration', 'duration'],
  ['experimental-warning-unary-request-duration', 'duration'],
  ['experimental-memory-mlock', 'bool'],
  ['memory-mlock', 'bool'],
  ['experimental-txn-mode-write-with-shared-buffer', 'bool'],
  ['experimental-stop-grpc-service-on-defrag', 'bool'],
  ['experimental-bootstrap-defrag-threshold-megabytes', 'uint'],
  ['bootstrap-defrag-threshold-megabytes', 'uint'],
  ['max-learners', 'int'],
  ['force-new-cluster', 'bool'],
];

/** Flags etcd 3.6 still accepts and ignores (etcdmain `ignored`): boolean-style, any value. */
export const LEGACY_IGNORED_FLAGS: readonly string[] = [
  'cluster-active-size',
  'cluster-remove-delay',
  'cluster-sync-interval',
  'config',
  'force',
  'max-result-buffer',
  'max-retry-attempts',
  'peer-heartbeat-interval',
  'peer-election-timeout',
  'retry-interval',
  'snapshot',
  'v',
  'vv',
  'test.coverprofile',
  'test.outputdir',
];

/** etcd 3.6's experimentalFlagMigrationMap: old flag -> new flag (both set is an error). */
export const EXPERIMENTAL_FLAG_MIGRATION: ReadonlyArray<[string, string]> = [
  ['experimental-compact-hash-check-time', 'compact-hash-check-time'],
  ['experimental-corrupt-check-time', 'corrupt-check-time'],
  ['experimental-compaction-batch-limit', 'compaction-batch-limit'],
  ['experimental-watch-progress-notify-interval', 'watch-progress-notify-interval'],
  ['experimental-warning-apply-duration', 'warning-apply-duration'],
  ['experimental-bootstrap-defrag-threshold-megabytes', 'bootstrap-defrag-threshold-megabytes'],
  ['experimental-memory-mlock', 'memory-mlock'],
  ['experimental-snapshot-catchup-entries', 'snapshot-catchup-entries'],
  ['experimental-compaction-sleep-interval', 'compaction-sleep-interval'],
  ['experimental-downgrade-check-time', 'downgrade-check-time'],
  ['experimental-peer-skip-client-san-verification', 'peer-skip-client-san-verification'],
  ['experimental-enable-distributed-tracing', 'enable-distributed-tracing'],
  ['experimental-distributed-tracing-address', 'distributed-tracing-address'],
  ['experimental-distributed-tracing-service-name', 'distributed-tracing-service-name'],
  ['experimental-distributed-tracing-instance-id', 'distributed-tracing-instance-id'],
  ['experimental-distributed-tracing-sampling-rate', 'distributed-tracing-sampling-rate'],
];

function build(): Map<string, FlagDef> {
  const m = new Map<string, FlagDef>();
  for (const [name, kind] of IMPLEMENTED) m.set(name, { name, kind, implemented: true });
  for (const [name, kind] of NOT_IMPLEMENTED) m.set(name, { name, kind, implemented: false });
  for (const name of LEGACY_IGNORED_FLAGS) m.set(name, { name, kind: 'ignored', implemented: false });
  return m;
}

/** All recognised flags by name (without leading dashes). */
export const FLAGS: ReadonlyMap<string, FlagDef> = build();

/** Names of flags accepted but not implemented (for --help), legacy ignored ones excluded. */
export const NOT_IMPLEMENTED_NAMES: readonly string[] = NOT_IMPLEMENTED.map(([n]) => n);
