/**
 * The server configuration (etcd's `embed.Config`, reduced to what etcd-ts implements),
 * its defaults (etcd 3.6's `embed.NewConfig`) and its validation (`embed.Config.Validate`,
 * `config.ServerConfig.VerifyBootstrap`), with etcd's error texts. Pure: no I/O.
 *
 * `bin/etcd-ts` builds a Config from flags/env; tests and embedders call `defaultConfig`.
 */
import { ConfigError } from './error';
import { parseGoDuration } from './duration';
import { DEFAULT_LOG_ROTATION_CONFIG_JSON, logRotation } from './log-rotation';
import { checkTlsVersions, NO_TLS, type TlsInfo } from './tls';
import { parseEtcdUrl, splitHostPort, type InitialClusterMember, urlToEtcdString } from './urls';

export { ConfigError } from './error';
export type { InitialClusterMember } from './urls';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';
export type LogFormat = 'json' | 'console';
export type ClusterState = 'new' | 'existing';
export type AutoCompactionMode = 'periodic' | 'revision';

export interface Config {
  /** --name */
  name: string;
  /** --data-dir (etcd's default is `${name}.etcd`) */
  dataDir: string;
  /** --wal-dir: refused by validateConfig (the Raft log lives in the data dir's LevelDB). */
  walDir?: string;
  /** --listen-client-urls (Node URLs; use urlPort()/urlHost() from config-urls: Node drops :80/:443) */
  listenClientUrls: URL[];
  /** --advertise-client-urls, as etcd prints them (`http://host:port`, no trailing slash) */
  advertiseClientUrls: string[];
  /** --listen-peer-urls */
  listenPeerUrls: URL[];
  /** --listen-client-http-urls: HTTP only (then the client URLs serve gRPC only) */
  listenClientHttpUrls: URL[];
  /** --listen-metrics-urls: /metrics and the health endpoints only */
  listenMetricsUrls: URL[];
  /** --initial-advertise-peer-urls, as etcd prints them */
  initialAdvertisePeerUrls: string[];
  /** --initial-cluster, parsed */
  initialCluster: InitialClusterMember[];
  /** --initial-cluster-state */
  initialClusterState: ClusterState;
  /** --initial-cluster-token */
  initialClusterToken: string;
  /** --heartbeat-interval (ms) */
  heartbeatMs: number;
  /** --election-timeout (ms) */
  electionMs: number;
  /** --snapshot-count */
  snapshotCount: number;
  /** --snapshot-catchup-entries (alias --experimental-snapshot-catchup-entries) */
  snapshotCatchupEntries: number;
  /** --quota-backend-bytes; 0 = 2 GiB, negative = no quota. See effectiveQuotaBackendBytes(). */
  quotaBackendBytes: number;
  /** --max-request-bytes */
  maxRequestBytes: number;
  /** --max-txn-ops */
  maxTxnOps: number;
  /** --auth-token: 'simple', 'jwt,<options>' or '' (see config/auth-token.ts) */
  authToken: string;
  /** --auth-token-ttl (seconds, simple tokens) */
  authTokenTtlSec: number;
  /** --bcrypt-cost */
  bcryptCost: number;
  /** --value-cache-bytes (etcd-ts only): the LevelDB engine's record cache */
  valueCacheBytes: number;
  /** --auto-compaction-mode */
  autoCompactionMode: AutoCompactionMode;
  /** --auto-compaction-retention, raw ("0" = off); see autoCompactionRetention() */
  autoCompactionRetention: string;
  /** --logger (only 'zap' is valid, as in etcd 3.5+) */
  logger: 'zap';
  /** --log-level */
  logLevel: LogLevel;
  /** --log-outputs: 'default' | 'stderr' | 'stdout' | a file path | 'systemd/journal' */
  logOutputs: string[];
  /** --log-format */
  logFormat: LogFormat;
  /** --enable-log-rotation */
  enableLogRotation: boolean;
  /** --log-rotation-config-json, raw; see logRotation() in config/log-rotation */
  logRotationConfigJson: string;
  /** --pre-vote */
  preVote: boolean;
  /** --strict-reconfig-check */
  strictReconfigCheck: boolean;
  /**
   * --watch-progress-notify-interval (alias --experimental-…), in ms. etcd: 0 means the
   * 10-minute default; the server raises values below 100ms to 100ms.
   */
  watchProgressNotifyMs: number;
  /** --unsafe-no-fsync */
  unsafeNoFsync: boolean;
  /** --cert-file, --key-file, --trusted-ca-file, --client-cert-auth: the https client URLs' TLS */
  clientTls: TlsInfo;
  /** --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth */
  peerTls: TlsInfo;
  /** --auto-tls */
  clientAutoTls: boolean;
  /** --peer-auto-tls */
  peerAutoTls: boolean;
  /** --self-signed-cert-validity (years) */
  selfSignedCertValidity: number;
  /** --tls-min-version ('TLS1.2' by default, as etcd) */
  tlsMinVersion: string;
  /** --tls-max-version ('' lets the TLS library decide) */
  tlsMaxVersion: string;
  /** --cipher-suites (Go's names) */
  cipherSuites: string[];
  /** Flags that were given but are accepted-and-ignored (e.g. '--cert-file'), for logging. */
  unimplementedFlags: string[];
}

export const DEFAULT_NAME = 'default';
export const DEFAULT_LISTEN_PEER_URL = 'http://localhost:2380';
export const DEFAULT_LISTEN_CLIENT_URL = 'http://localhost:2379';
export const DEFAULT_INITIAL_ADVERTISE_PEER_URL = 'http://localhost:2380';
export const DEFAULT_ADVERTISE_CLIENT_URL = 'http://localhost:2379';
export const DEFAULT_INITIAL_CLUSTER = `${DEFAULT_NAME}=${DEFAULT_INITIAL_ADVERTISE_PEER_URL}`;
export const DEFAULT_INITIAL_CLUSTER_TOKEN = 'etcd-cluster';
export const DEFAULT_HEARTBEAT_MS = 100;
export const DEFAULT_ELECTION_MS = 1000;
export const MAX_ELECTION_MS = 50000;
export const DEFAULT_SNAPSHOT_COUNT = 10000;
export const DEFAULT_SNAPSHOT_CATCHUP_ENTRIES = 5000;
export const DEFAULT_MAX_REQUEST_BYTES = 1572864;
export const DEFAULT_MAX_TXN_OPS = 128;
/** Default of --value-cache-bytes (etcd-ts's own): the LevelDB engine's record cache. */
export const DEFAULT_VALUE_CACHE_BYTES = 64 * 1024 * 1024;

/** etcd's storage.DefaultQuotaBytes (2 GiB) used when --quota-backend-bytes is 0. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
/** etcd's storage.MaxQuotaBytes (8 GiB): above it etcd only warns. */
export const MAX_QUOTA_BYTES = 8 * 1024 * 1024 * 1024;
/** etcd's v3rpc default progress report interval (10m). */
export const DEFAULT_WATCH_PROGRESS_NOTIFY_MS = 10 * 60 * 1000;
/** etcd's minWatchProgressInterval (100ms). */
export const MIN_WATCH_PROGRESS_NOTIFY_MS = 100;

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'panic', 'fatal'];

/**
 * etcd's defaults, with `overrides` applied. Conveniences for programmatic use (tests):
 * `dataDir` defaults to `${name}.etcd`, and `initialCluster` defaults to this member alone
 * at its `initialAdvertisePeerUrls` (what etcd does when only --name is given).
 */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const name = overrides.name ?? DEFAULT_NAME;
  const initialAdvertisePeerUrls = overrides.initialAdvertisePeerUrls ?? [DEFAULT_INITIAL_ADVERTISE_PEER_URL];
  const base: Config = {
    name,
    dataDir: `${name}.etcd`,
    listenClientUrls: [new URL(DEFAULT_LISTEN_CLIENT_URL)],
    advertiseClientUrls: [DEFAULT_ADVERTISE_CLIENT_URL],
    listenPeerUrls: [new URL(DEFAULT_LISTEN_PEER_URL)],
    listenClientHttpUrls: [],
    listenMetricsUrls: [],
    initialAdvertisePeerUrls,
    initialCluster: [{ name, peerUrls: [...initialAdvertisePeerUrls] }],
    initialClusterState: 'new',
    initialClusterToken: DEFAULT_INITIAL_CLUSTER_TOKEN,
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
    electionMs: DEFAULT_ELECTION_MS,
    snapshotCount: DEFAULT_SNAPSHOT_COUNT,
    snapshotCatchupEntries: DEFAULT_SNAPSHOT_CATCHUP_ENTRIES,
    quotaBackendBytes: 0,
    maxRequestBytes: DEFAULT_MAX_REQUEST_BYTES,
    maxTxnOps: DEFAULT_MAX_TXN_OPS,
    authToken: 'simple',
    authTokenTtlSec: 300,
    bcryptCost: 10,
    valueCacheBytes: DEFAULT_VALUE_CACHE_BYTES,
    autoCompactionMode: 'periodic',
    autoCompactionRetention: '0',
    logger: 'zap',
    logLevel: 'info',
    logOutputs: ['default'],
    logFormat: 'json',
    enableLogRotation: false,
    logRotationConfigJson: DEFAULT_LOG_ROTATION_CONFIG_JSON,
    clientTls: NO_TLS,
    peerTls: NO_TLS,
    clientAutoTls: false,
    peerAutoTls: false,
    selfSignedCertValidity: 1,
    tlsMinVersion: 'TLS1.2',
    tlsMaxVersion: '',
    cipherSuites: [],
    preVote: true,
    strictReconfigCheck: true,
    watchProgressNotifyMs: DEFAULT_WATCH_PROGRESS_NOTIFY_MS,
    unsafeNoFsync: false,
    unimplementedFlags: [],
  };
  const out: Config = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The backend quota in bytes etcd would enforce (0 -> 2 GiB; negative -> Infinity, no quota). */
export function effectiveQuotaBackendBytes(c: Pick<Config, 'quotaBackendBytes'>): number {
  if (c.quotaBackendBytes < 0) return Infinity;
  if (c.quotaBackendBytes === 0) return DEFAULT_QUOTA_BYTES;
  return c.quotaBackendBytes;
}

/** Election timeout in ticks (etcd's Config.ElectionTicks). */
export function electionTicks(c: Pick<Config, 'electionMs' | 'heartbeatMs'>): number {
  return Math.floor(c.electionMs / c.heartbeatMs);
}

/**
 * --auto-compaction-retention as etcd's parseCompactionRetention: a non-negative integer
 * means hours (periodic) or a revision count (revision); otherwise a Go duration.
 * Returns { hours-or-duration in ms } for periodic, { revisions } for revision.
 */
export function autoCompactionRetention(c: Pick<Config, 'autoCompactionMode' | 'autoCompactionRetention'>): {
  periodMs: number;
  revisions: number;
} {
  const r = c.autoCompactionRetention;
  if (/^[+-]?\d+$/.test(r) && Number(r) >= 0) {
    const n = Number(r);
    return c.autoCompactionMode === 'revision' ? { periodMs: 0, revisions: n } : { periodMs: n * 3_600_000, revisions: 0 };
  }
  let ms: number;
  try {
    ms = parseGoDuration(r);
  } catch (e) {
    throw new ConfigError(`error parsing CompactionRetention: ${(e as Error).message}`);
  }
  // etcd uses the duration (in ns) as-is in both modes; a revision count from "5m" is not meaningful.
  return c.autoCompactionMode === 'revision' ? { periodMs: 0, revisions: ms * 1e6 } : { periodMs: ms, revisions: 0 };
}

function checkBindUrls(urls: URL[]): void {
  for (const u of urls) {
    if (u.protocol === 'unix:' || u.protocol === 'unixs:') continue;
    const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === 'localhost') continue;
    if (!isIP(host)) throw new ConfigError(`expected IP in URL for binding (${urlToEtcdString(u)})`);
  }
}

function isIP(h: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(h)) return h.split('.').every((p) => Number(p) <= 255);
  return h.includes(':') && /^[0-9a-fA-F:.]+$/.test(h);
}

function checkHostUrls(flag: string, urls: string[]): void {
  for (const raw of urls) {
    try {
      parseEtcdUrl(raw);
      const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(raw);
      const authority = (m?.[1] ?? '').replace(/^.*@/, '');
      const [host] = splitHostPort(authority);
      if (host === '') throw new ConfigError(`unexpected empty host (${raw})`);
    } catch (e) {
      throw new ConfigError(`${flag} ${JSON.stringify(urls.join(','))} must be "host:port" (${(e as Error).message})`);
    }
  }
}

/**
 * etcd-ts keeps the Raft log with the state in one LevelDB, written in one synced batch, so there
 * is no WAL directory to move; a --wal-dir is refused rather than silently not used.
 */
export const WAL_DIR_UNSUPPORTED =
  '--wal-dir is not supported by etcd-ts: the Raft log is kept with the store in <data-dir>/member/leveldb; remove the flag';

/**
 * etcd's embed.Config.Validate (the parts etcd-ts implements), in etcd's order and with
 * etcd's texts. Throws ConfigError. Does not look at the data dir: see verifyBootstrap().
 */
export function validateConfig(c: Config): void {
  if (c.walDir !== undefined) throw new ConfigError(WAL_DIR_UNSUPPORTED);
  const logger: string = c.logger;
  if (logger === 'capnslog') throw new ConfigError('--logger=capnslog is removed in v3.5');
  if (logger !== 'zap') throw new ConfigError(`unknown logger option ${JSON.stringify(logger)}`);
  if (c.logOutputs.length > 1 && c.logOutputs.includes('default')) {
    throw new ConfigError('multi logoutput for "default" is not supported yet');
  }
  if (c.enableLogRotation) logRotation(c.logOutputs, c.logRotationConfigJson);
  if (c.logOutputs.includes('systemd/journal') && c.logOutputs.length > 1) {
    throw new ConfigError(
      `running with systemd/journal but other '--log-outputs' values (${goQuoteList(c.logOutputs)}) are configured with 'default'; override 'default' value with something else`,
    );
  }
  if (!LOG_LEVELS.includes(c.logLevel)) throw new ConfigError(`unrecognized level: ${JSON.stringify(c.logLevel)}`);
  const format: string = c.logFormat;
  if (format !== 'json' && format !== 'console') {
    throw new ConfigError(`unknown log format: ${format}, supported values json, console`);
  }
  checkBindUrls(c.listenPeerUrls);
  checkBindUrls(c.listenClientUrls);
  checkBindUrls(c.listenClientHttpUrls);
  checkBindUrls(c.listenMetricsUrls);
  checkHostUrls('--initial-advertise-peer-urls', c.initialAdvertisePeerUrls);
  checkHostUrls('--advertise-client-urls', c.advertiseClientUrls);
  const state: string = c.initialClusterState;
  if (state !== 'new' && state !== 'existing') throw new ConfigError(`unexpected clusterState ${JSON.stringify(state)}`);
  if (!(c.heartbeatMs > 0)) throw new ConfigError(`--heartbeat-interval must be >0 (set to ${c.heartbeatMs}ms)`);
  if (!(c.electionMs > 0)) throw new ConfigError(`--election-timeout must be >0 (set to ${c.electionMs}ms)`);
  if (5 * c.heartbeatMs > c.electionMs) {
    throw new ConfigError(
      `--election-timeout[${c.electionMs}ms] should be at least as 5 times as --heartbeat-interval[${c.heartbeatMs}ms]`,
    );
  }
  if (c.electionMs > MAX_ELECTION_MS) {
    throw new ConfigError(`--election-timeout[${c.electionMs}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`);
  }
  if (c.listenClientUrls.length > 0 && c.advertiseClientUrls.length === 0) {
    throw new ConfigError('--advertise-client-urls is required when --listen-client-urls is set explicitly');
  }
  const mode: string = c.autoCompactionMode;
  if (mode === '') throw new ConfigError('undefined auto-compaction-mode');
  if (mode !== 'periodic' && mode !== 'revision') throw new ConfigError(`unknown auto-compaction-mode ${JSON.stringify(mode)}`);
  autoCompactionRetention(c);
  if (c.initialCluster.length === 0) throw new ConfigError('initial cluster unset and no discovery URL found');
  checkTlsVersions(c.tlsMinVersion, c.tlsMaxVersion, c.cipherSuites);
}

/** Go's %q of a []string: ["a" "b"]. */
function goQuoteList(ss: string[]): string {
  return `[${ss.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/**
 * etcd's VerifyBootstrap / VerifyJoinExisting: call when the data dir holds no WAL yet
 * (first start). Throws ConfigError with etcd's texts.
 */
export function verifyBootstrap(c: Config): void {
  const local = c.initialCluster.find((m) => m.name === c.name);
  if (local === undefined) {
    throw new ConfigError(`couldn't find local name ${JSON.stringify(c.name)} in the initial cluster configuration`);
  }
  if (c.initialClusterState === 'new') {
    const ap = [...c.initialAdvertisePeerUrls].sort();
    const missing = local.peerUrls.filter((u) => !ap.includes(u));
    if (missing.length > 0) {
      throw new ConfigError(
        `--initial-cluster has ${missing.map((u) => `${c.name}=${u}`).join(',')} but missing from --initial-advertise-peer-urls=${ap.join(',')}`,
      );
    }
    const extra = ap.filter((u) => !local.peerUrls.includes(u));
    if (extra.length > 0) {
      throw new ConfigError(
        `--initial-advertise-peer-urls has ${extra.join(',')} but missing from --initial-cluster=${ap.map((u) => `${c.name}=${u}`).join(',')}`,
      );
    }
  }
  const seen = new Set<string>();
  for (const m of c.initialCluster) {
    for (const u of m.peerUrls) {
      if (seen.has(u)) {
        const s = c.initialCluster
          .flatMap((x) => x.peerUrls.map((p) => `${x.name}=${p}`))
          .sort()
          .join(',');
        throw new ConfigError(`initial cluster ${s} has duplicate url`);
      }
      seen.add(u);
    }
  }
}
