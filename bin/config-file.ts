/**
 * `--config-file` (YAML) -> flag values, as etcd 3.6's embed.ConfigFromFile reads it: the YAML
 * (1.1, as go-yaml v2; a repeated key takes its last value) becomes JSON decoded into etcd's
 * config struct, so each key must hold the JSON type of its Go field, and the first mismatch in
 * the file fails with encoding/json's message naming the key. Null values and keys etcd does not
 * know are skipped as etcd skips them (etcd-ts also lists the unknown ones, for a warning). Values
 * come out in flag syntax (lists comma-joined, durations in ns), for the same checks as flags.
 * Pure: the caller reads the file.
 */
import { parseDocument } from 'yaml';

/** The Go type of each top-level key of etcd 3.6's configYAML (embed.Config and configJSON). */
const CONFIG_KEYS: Record<string, string> = {
  name: 'string',
  'data-dir': 'string',
  'wal-dir': 'string',
  'snapshot-count': 'uint64',
  'experimental-snapshot-catch-up-entries': 'uint64',
  'snapshot-catchup-entries': 'uint64',
  'max-snapshots': 'uint',
  'max-wals': 'uint',
  'heartbeat-interval': 'uint',
  'election-timeout': 'uint',
  'initial-election-tick-advance': 'bool',
  'backend-batch-interval': 'time.Duration',
  'backend-batch-limit': 'int',
  'backend-bbolt-freelist-type': 'string',
  'quota-backend-bytes': 'int64',
  'max-txn-ops': 'uint',
  'max-request-bytes': 'uint',
  'max-concurrent-streams': 'uint32',
  'self-signed-cert-validity': 'uint',
  'cipher-suites': '[]string',
  'tls-min-version': 'string',
  'tls-max-version': 'string',
  'initial-cluster-state': 'string',
  'discovery-srv': 'string',
  'discovery-srv-name': 'string',
  'discovery-proxy': 'string',
  discovery: 'string',
  'discovery-config': 'v3discovery.DiscoveryConfig',
  'initial-cluster': 'string',
  'initial-cluster-token': 'string',
  'strict-reconfig-check': 'bool',
  'auto-compaction-mode': 'string',
  'auto-compaction-retention': 'string',
  'grpc-keepalive-min-time': 'time.Duration',
  'grpc-keepalive-interval': 'time.Duration',
  'grpc-keepalive-timeout': 'time.Duration',
  'socket-options': 'transport.SocketOpts',
  'pre-vote': 'bool',
  'auth-token': 'string',
  'bcrypt-cost': 'uint',
  'auth-token-ttl': 'uint',
  'experimental-initial-corrupt-check': 'bool',
  'experimental-corrupt-check-time': 'time.Duration',
  'corrupt-check-time': 'time.Duration',
  'experimental-compact-hash-check-enabled': 'bool',
  'experimental-compact-hash-check-time': 'time.Duration',
  'compact-hash-check-time': 'time.Duration',
  'experimental-enable-lease-checkpoint': 'bool',
  'experimental-enable-lease-checkpoint-persist': 'bool',
  'experimental-compaction-batch-limit': 'int',
  'compaction-batch-limit': 'int',
  'experimental-compaction-sleep-interval': 'time.Duration',
  'compaction-sleep-interval': 'time.Duration',
  'experimental-watch-progress-notify-interval': 'time.Duration',
  'watch-progress-notify-interval': 'time.Duration',
  'experimental-warning-apply-duration': 'time.Duration',
  'warning-apply-duration': 'time.Duration',
  'experimental-bootstrap-defrag-threshold-megabytes': 'uint',
  'bootstrap-defrag-threshold-megabytes': 'uint',
  'warning-unary-request-duration': 'time.Duration',
  'experimental-warning-unary-request-duration': 'time.Duration',
  'max-learners': 'int',
  'force-new-cluster': 'bool',
  'enable-pprof': 'bool',
  metrics: 'string',
  'listen-metrics-urls': 'string',
  'experimental-enable-distributed-tracing': 'bool',
  'enable-distributed-tracing': 'bool',
  'experimental-distributed-tracing-address': 'string',
  'distributed-tracing-address': 'string',
  'experimental-distributed-tracing-service-name': 'string',
  'distributed-tracing-service-name': 'string',
  'experimental-distributed-tracing-instance-id': 'string',
  'distributed-tracing-instance-id': 'string',
  'experimental-distributed-tracing-sampling-rate': 'int',
  'distributed-tracing-sampling-rate': 'int',
  'experimental-peer-skip-client-san-verification': 'bool',
  logger: 'string',
  'log-level': 'string',
  'log-format': 'string',
  'log-outputs': '[]string',
  'enable-log-rotation': 'bool',
  'log-rotation-config-json': 'string',
  'enable-grpc-gateway': 'bool',
  'unsafe-no-fsync': 'bool',
  'experimental-downgrade-check-time': 'time.Duration',
  'downgrade-check-time': 'time.Duration',
  'memory-mlock': 'bool',
  'experimental-memory-mlock': 'bool',
  'experimental-txn-mode-write-with-shared-buffer': 'bool',
  'experimental-stop-grpc-service-on-defrag': 'bool',
  'v2-deprecation': 'config.V2DeprecationEnum',
  // configJSON
  'listen-peer-urls': 'string',
  'listen-client-urls': 'string',
  'listen-client-http-urls': 'string',
  'initial-advertise-peer-urls': 'string',
  'advertise-client-urls': 'string',
  cors: 'string',
  'host-whitelist': 'string',
  'client-transport-security': 'embed.securityConfig',
  'peer-transport-security': 'embed.securityConfig',
  'feature-gates': 'string',
};

const CONFIG_JSON_KEYS = new Set([
  'listen-peer-urls',
  'listen-client-urls',
  'listen-client-http-urls',
  'initial-advertise-peer-urls',
  'advertise-client-urls',
  'cors',
  'host-whitelist',
  'client-transport-security',
  'peer-transport-security',
  'feature-gates',
]);

/** YAML keys whose flag has another name. */
const FLAG_OF_KEY: Record<string, string> = {
  'experimental-snapshot-catch-up-entries': 'experimental-snapshot-catchup-entries',
};

/** [min, max) of each integer type (JSON numbers are float64s, as Go's decoder sees them). */
const INT_RANGES: Record<string, [number, number]> = {
  uint: [0, 2 ** 64],
  uint64: [0, 2 ** 64],
  uint32: [0, 2 ** 32],
  int: [-(2 ** 63), 2 ** 63],
  int64: [-(2 ** 63), 2 ** 63],
  'time.Duration': [-(2 ** 63), 2 ** 63],
};

export class ConfigFileError extends Error {}

export interface ConfigFileValues {
  /** Flag name -> value in flag syntax. */
  values: Map<string, string>;
  /** Keys holding a structure (TLS sections, socket options, discovery) that etcd-ts does not read yet. */
  unsupported: string[];
  /** Keys etcd does not know (etcd skips them silently). */
  unknown: string[];
}

function jsonType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

function mismatch(key: string, what: string, goType: string): ConfigFileError {
  const owner = CONFIG_JSON_KEYS.has(key) ? 'configJSON' : 'Config';
  return new ConfigFileError(
    `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${what} into Go struct field configYAML.${owner}.${key} of type ${goType}`,
  );
}

/** The value in flag syntax, or throws encoding/json's error for a value of the wrong type. */
function flagValue(key: string, goType: string, v: unknown): string | undefined {
  const range = INT_RANGES[goType];
  if (range !== undefined) {
    if (typeof v !== 'number') throw mismatch(key, jsonType(v), goType);
    if (!Number.isInteger(v) || v < range[0] || v >= range[1]) throw mismatch(key, `number ${String(v)}`, goType);
    return goType === 'time.Duration' ? `${v}ns` : String(v);
  }
  if (goType === 'bool') {
    if (typeof v !== 'boolean') throw mismatch(key, jsonType(v), goType);
    return String(v);
  }
  if (goType === '[]string') {
    if (!Array.isArray(v)) throw mismatch(key, jsonType(v), goType);
    for (const e of v) if (typeof e !== 'string' && e !== null) throw mismatch(key, jsonType(e), 'string');
    return v.filter((e) => e !== null).join(',');
  }
  if (goType === 'string' || goType === 'config.V2DeprecationEnum') {
    if (typeof v !== 'string') throw mismatch(key, jsonType(v), goType);
    return v;
  }
  // A structure: an object (read by no flag of etcd-ts yet).
  if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(key, jsonType(v), goType);
  return undefined;
}

/** etcd's securityConfig fields read by etcd-ts: key -> [Go type, flag of the client section, flag of the peer section]. */
const SECURITY_KEYS: Record<string, [string, string | undefined, string | undefined]> = {
  'cert-file': ['string', 'cert-file', 'peer-cert-file'],
  'key-file': ['string', 'key-file', 'peer-key-file'],
  'client-cert-auth': ['bool', 'client-cert-auth', 'peer-client-cert-auth'],
  'trusted-ca-file': ['string', 'trusted-ca-file', 'peer-trusted-ca-file'],
  'client-cert-file': ['string', undefined, undefined],
  'client-key-file': ['string', undefined, undefined],
  'auto-tls': ['bool', 'auto-tls', 'peer-auto-tls'],
  'allowed-cn': ['[]string', undefined, 'peer-cert-allowed-cn'],
  'allowed-hostname': ['[]string', undefined, 'peer-cert-allowed-hostname'],
  'skip-client-san-verification': ['bool', undefined, undefined],
};

/**
 * A `client-transport-security` / `peer-transport-security` section: each field as its flag's
 * value (etcd's struct-field path in a type error), fields etcd-ts does not read yet listed as
 * unsupported.
 */
function securitySection(section: string, v: Record<string, unknown>, out: ConfigFileValues): void {
  const peer = section === 'peer-transport-security';
  for (const [key, value] of Object.entries(v)) {
    const spec = SECURITY_KEYS[key];
    if (spec === undefined || value === null) continue;
    const [goType, clientFlag, peerFlag] = spec;
    const fieldKey = `configJSON.${section}.${key}`;
    let flag: string | undefined;
    try {
      flag = flagValue(key, goType, value);
    } catch {
      const what = Array.isArray(value) ? 'array' : jsonType(value);
      throw new ConfigFileError(
        `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${what} into Go struct field securityConfig.${fieldKey} of type ${goType}`,
      );
    }
    const name = peer ? peerFlag : clientFlag;
    if (name === undefined || flag === undefined) out.unsupported.push(`${section}.${key}`);
    else out.values.set(name, flag);
  }
}

export function configFileValues(text: string): ConfigFileValues {
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false });
  const err = doc.errors[0];
  if (err !== undefined) {
    const line = err.linePos?.[0].line ?? 1;
    throw new ConfigFileError(`error converting YAML to JSON: yaml: line ${line}: ${err.message.split('\n')[0]}`);
  }
  const top: unknown = doc.toJS();
  if (top === null || top === undefined) return { values: new Map(), unsupported: [], unknown: [] };
  if (typeof top !== 'object' || Array.isArray(top)) {
    throw new ConfigFileError(
      `error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${jsonType(top)} into Go value of type embed.configYAML`,
    );
  }
  const out: ConfigFileValues = { values: new Map(), unsupported: [], unknown: [] };
  for (const [key, v] of Object.entries(top as Record<string, unknown>)) {
    const goType = CONFIG_KEYS[key];
    if (goType === undefined) {
      out.unknown.push(key);
      continue;
    }
    if (v === null) continue;
    if (goType === 'embed.securityConfig' && typeof v === 'object' && !Array.isArray(v)) {
      securitySection(key, v as Record<string, unknown>, out);
      continue;
    }
    const value = flagValue(key, goType, v);
    if (value === undefined) out.unsupported.push(key);
    else out.values.set(FLAG_OF_KEY[key] ?? key, value);
  }
  return out;
}
