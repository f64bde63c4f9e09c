/** `etcd --help` in etcd's layout, describing the flags etcd-ts implements. */
import { NOT_IMPLEMENTED_NAMES } from './flag-table';

type Entry = [flag: string, dflt: string, text: string];

const MEMBER: Entry[] = [
  ['name', "'default'", 'Human-readable name for this member.'],
  ['data-dir', "'${name}.etcd'", 'Path to the data directory.'],
  ['wal-dir', "''", 'Path to a dedicated WAL directory (default: <data-dir>/member/wal).'],
  ['snapshot-count', "'10000'", 'Number of committed transactions that trigger a snapshot to disk.'],
  ['snapshot-catchup-entries', "'5000'", 'Raft entries kept after a snapshot so that slow followers can catch up.'],
  ['heartbeat-interval', "'100'", 'Heartbeat interval in milliseconds.'],
  ['election-timeout', "'1000'", 'Election timeout in milliseconds; at least 5x the heartbeat interval, at most 50000.'],
  ['listen-peer-urls', "'http://localhost:2380'", 'Comma-separated URLs to listen on for peer traffic.'],
  ['listen-client-urls', "'http://localhost:2379'", 'Comma-separated URLs to listen on for client gRPC and HTTP traffic.'],
  ['listen-client-http-urls', "''", 'URLs for HTTP-only client traffic; the client URLs then serve gRPC only.'],
  ['listen-metrics-urls', "''", 'URLs serving /metrics and the health endpoints only (https uses the client TLS files).'],
  ['quota-backend-bytes', "'0'", 'Backend size limit in bytes; exceeding it raises a NOSPACE alarm. 0 means the default of 2GiB.'],
  ['max-txn-ops', "'128'", 'Maximum number of operations in one transaction.'],
  [
    'auth-token',
    "'simple'",
    'Specify auth token specific options: simple, or jwt,pub-key=<file>,priv-key=<file>,sign-method=<RS256|ES256|...>,ttl=<duration>.',
  ],
  ['bcrypt-cost', "'10'", 'Specify bcrypt algorithm cost factor for auth password hashing.'],
  ['auth-token-ttl', "'300'", 'The lifetime in seconds of the auth token.'],
  ['max-request-bytes', "'1572864'", 'Maximum size in bytes of a client request.'],
  [
    'value-cache-bytes',
    "'67108864'",
    'etcd-ts only: bytes of stored values cached in memory (values live in LevelDB; 0 disables the cache).',
  ],
];

const CLUSTERING: Entry[] = [
  ['initial-advertise-peer-urls', "'http://localhost:2380'", "This member's peer URLs, announced to the rest of the cluster."],
  ['initial-cluster', "'default=http://localhost:2380'", 'Initial cluster configuration for bootstrapping (name=peer-url,...).'],
  ['initial-cluster-state', "'new'", "'new' to bootstrap a new cluster, 'existing' to join one. Ignored once the member is initialized."],
  ['initial-cluster-token', "'etcd-cluster'", 'Token that distinguishes this cluster during bootstrap.'],
  [
    'advertise-client-urls',
    "'http://localhost:2379'",
    "This member's client URLs, announced to clients. Required when --listen-client-urls is set.",
  ],
  ['strict-reconfig-check', "'true'", 'Reject membership changes that could cause a loss of quorum.'],
  ['pre-vote', "'true'", 'Enable the Raft pre-vote phase.'],
  ['auto-compaction-retention', "'0'", 'Auto compaction retention; 0 disables auto compaction.'],
  [
    'auto-compaction-mode',
    "'periodic'",
    "How to read the retention: 'periodic' (a duration, hours if no unit) or 'revision' (a revision count).",
  ],
];

const LOGGING: Entry[] = [
  ['logger', "'zap'", "Only 'zap' is supported."],
  ['log-outputs', "'default'", "'default', 'stderr', 'stdout' or file paths, comma-separated."],
  ['log-level', "'info'", 'One of debug, info, warn, error, panic, fatal.'],
  ['log-format', "'json'", 'One of json, console.'],
  ['enable-log-rotation', "'false'", 'Enable log rotation of a single log-outputs file target.'],
  [
    'log-rotation-config-json',
    `'{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}'`,
    'Log rotation settings: maxsize (MB), maxage (days, 0 = no limit), maxbackups (0 = no limit), localtime, compress (gzip).',
  ],
];

const SECURITY: Entry[] = [
  ['cert-file', "''", 'Path to the client server TLS cert file (read again when it changes).'],
  ['key-file', "''", 'Path to the client server TLS key file.'],
  ['client-cert-auth', "'false'", 'Require and verify client certificates.'],
  ['trusted-ca-file', "''", 'Path to the client server TLS trusted CA cert file (implies client certificates are required).'],
  ['peer-cert-file', "''", 'Path to the peer server TLS cert file (also the client certificate towards peers).'],
  ['peer-key-file', "''", 'Path to the peer server TLS key file.'],
  ['peer-client-cert-auth', "'false'", 'Require and verify peer client certificates.'],
  ['peer-trusted-ca-file', "''", 'Path to the peer server TLS trusted CA file (implies peer client certificates are required).'],
  ['auto-tls', "'false'", 'Client TLS using generated certificates (in <data-dir>/fixtures/client).'],
  ['peer-auto-tls', "'false'", 'Peer TLS using generated certificates (in <data-dir>/fixtures/peer).'],
  [
    'self-signed-cert-validity',
    "'1'",
    'The validity period of the client and peer certificates that are automatically generated, in years.',
  ],
];

const MISC: Entry[] = [
  ['watch-progress-notify-interval', "'10m'", 'Interval of periodic watch progress notifications (Go duration, e.g. 10m, 500ms).'],
  ['experimental-watch-progress-notify-interval', "'10m'", 'Deprecated alias of --watch-progress-notify-interval.'],
  ['experimental-snapshot-catchup-entries', "'5000'", 'Deprecated alias of --snapshot-catchup-entries.'],
  ['unsafe-no-fsync', "'false'", 'Disable fsync. Unsafe: may lose data.'],
];

function section(title: string, entries: Entry[]): string {
  return `${title}:\n` + entries.map(([f, d, t]) => `  --${f} ${d}\n    ${t}\n`).join('');
}

function wrap(names: readonly string[], width: number): string {
  const lines: string[] = [];
  let cur = '   ';
  for (const n of names) {
    const item = ` --${n}`;
    if (cur.length + item.length > width) {
      lines.push(cur);
      cur = '   ';
    }
    cur += item;
  }
  lines.push(cur);
  return lines.join('\n') + '\n';
}

export function helpText(): string {
  return (
    'Usage:\n\n' +
    '  etcd [flags]\n    Start an etcd server.\n\n' +
    '  etcd --version\n    Show the version of etcd.\n\n' +
    '  etcd -h | --help\n    Show the help information about etcd.\n\n' +
    'Flags use Go syntax: -flag value, -flag=value, --flag=value, --flag value; boolean flags as --flag or --flag=false.\n' +
    'Every flag can also be set by an environment variable ETCD_<FLAG> (upper case, dashes as underscores).\n\n' +
    section('Member', MEMBER) +
    '\n' +
    section('Clustering', CLUSTERING) +
    '\n' +
    section('Logging', LOGGING) +
    '\n' +
    section('Security', SECURITY) +
    '\n' +
    section('Other', MISC) +
    '\n' +
    'Accepted for compatibility with etcd 3.6 but not implemented by etcd-ts (a warning is logged and the flag is ignored):\n' +
    wrap(NOT_IMPLEMENTED_NAMES, 100) +
    '\nCAUTIOUS with unsafe flag! It may break the guarantees given by the consensus protocol!\n'
  );
}
