/**
 * Turns the merged flag values (command line, then ETCD_* environment) into a Config, the way
 * etcdmain's configFromCmdLine + UpdateDefaultClusterFromName do. Throws ConfigError.
 */
import {
  type Config,
  ConfigError,
  DEFAULT_INITIAL_CLUSTER,
  DEFAULT_NAME,
  DEFAULT_WATCH_PROGRESS_NOTIFY_MS,
  MIN_WATCH_PROGRESS_NOTIFY_MS,
  type LogLevel,
  defaultConfig,
} from '../src/server/config/config';
import { parseGoDuration } from '../src/server/config/duration';
import { parseInitialCluster, parseUrlList, toNodeUrls } from '../src/server/config/urls';
import { parseGoBool, parseGoInt } from './go-values';

export interface BuiltConfig {
  config: Config;
  /** [msg, fields] pairs etcd would log at warn level while building its config. */
  notes: Array<[string, Record<string, string>]>;
}

export function buildConfig(values: ReadonlyMap<string, string>, unimplementedFlags: string[]): BuiltConfig {
  const notes: BuiltConfig['notes'] = [];
  const d = defaultConfig();
  const str = (n: string, dflt: string): string => values.get(n) ?? dflt;
  const has = (n: string): boolean => values.has(n);
  const uint = (n: string, dflt: number): number => {
    const v = values.get(n);
    return v === undefined ? dflt : parseGoInt(v, false, 64);
  };
  const bool = (n: string, dflt: boolean): boolean => {
    const v = values.get(n);
    return v === undefined ? dflt : parseGoBool(v);
  };
  const list = (n: string): string[] => {
    const v = values.get(n);
    return v === undefined || v === '' ? [] : v.split(',');
  };
  const urls = (n: string, dflt: string[]): string[] => {
    const v = values.get(n);
    return v === undefined ? dflt : parseUrlList(v);
  };

  const name = str('name', DEFAULT_NAME);
  let dataDir = str('data-dir', '');
  if (dataDir === '') {
    dataDir = `${name}.etcd`;
    notes.push(["'data-dir' was empty; using default", { 'data-dir': dataDir }]);
  }
  const listenClient = urls('listen-client-urls', ['http://localhost:2379']);
  // etcd: an explicit --listen-client-urls disables the default advertise URL.
  const advertiseClient =
    has('listen-client-urls') && !has('advertise-client-urls') ? [] : urls('advertise-client-urls', d.advertiseClientUrls);
  const advertisePeer = urls('initial-advertise-peer-urls', d.initialAdvertisePeerUrls);

  // UpdateDefaultClusterFromName: only --name given -> <name>=<each advertise peer URL>.
  let initialCluster = str('initial-cluster', DEFAULT_INITIAL_CLUSTER);
  if (name !== DEFAULT_NAME && initialCluster === DEFAULT_INITIAL_CLUSTER) {
    initialCluster = advertisePeer.map((u) => `${name}=${u}`).join(',');
  }

  let snapshotCatchupEntries = uint('snapshot-catchup-entries', d.snapshotCatchupEntries);
  if (has('experimental-snapshot-catchup-entries')) snapshotCatchupEntries = uint('experimental-snapshot-catchup-entries', 0);

  const wpn = values.get('experimental-watch-progress-notify-interval') ?? values.get('watch-progress-notify-interval');
  let watchProgressNotifyMs = wpn === undefined ? 0 : parseGoDuration(wpn);
  if (watchProgressNotifyMs <= 0) watchProgressNotifyMs = DEFAULT_WATCH_PROGRESS_NOTIFY_MS;
  else if (watchProgressNotifyMs < MIN_WATCH_PROGRESS_NOTIFY_MS) {
    notes.push(['adjusting watch progress notify interval to minimum period', { 'min-watch-progress-notify-interval': '100ms' }]);
    watchProgressNotifyMs = MIN_WATCH_PROGRESS_NOTIFY_MS;
  }

  // zap parses levels case-insensitively, treats "" as info and knows "dpanic".
  let logLevel = str('log-level', 'info').toLowerCase();
  if (logLevel === '') logLevel = 'info';
  if (logLevel === 'dpanic') logLevel = 'panic';
  let logFormat = str('log-format', 'json');
  if (logFormat === '') logFormat = 'json';
  const logOutputs = [...new Set(str('log-outputs', 'default').split(','))].sort();

  const config: Config = {
    name,
    dataDir,
    listenClientUrls: toNodeUrls(listenClient),
    advertiseClientUrls: advertiseClient,
    listenPeerUrls: toNodeUrls(urls('listen-peer-urls', ['http://localhost:2380'])),
    listenClientHttpUrls: toNodeUrls(urls('listen-client-http-urls', [])),
    listenMetricsUrls: toNodeUrls(urls('listen-metrics-urls', [])),
    initialAdvertisePeerUrls: advertisePeer,
    initialCluster: parseInitialCluster(initialCluster),
    initialClusterState: str('initial-cluster-state', 'new') as Config['initialClusterState'],
    initialClusterToken: str('initial-cluster-token', d.initialClusterToken),
    heartbeatMs: uint('heartbeat-interval', d.heartbeatMs),
    electionMs: uint('election-timeout', d.electionMs),
    snapshotCount: uint('snapshot-count', d.snapshotCount),
    snapshotCatchupEntries,
    quotaBackendBytes: values.has('quota-backend-bytes') ? parseGoInt(str('quota-backend-bytes', '0'), true, 64) : 0,
    maxRequestBytes: uint('max-request-bytes', d.maxRequestBytes),
    maxTxnOps: uint('max-txn-ops', d.maxTxnOps),
    authToken: str('auth-token', d.authToken),
    authTokenTtlSec: uint('auth-token-ttl', d.authTokenTtlSec),
    bcryptCost: uint('bcrypt-cost', d.bcryptCost),
    valueCacheBytes: values.has('value-cache-bytes') ? parseGoInt(str('value-cache-bytes', '0'), false, 64) : d.valueCacheBytes,
    autoCompactionMode: str('auto-compaction-mode', 'periodic') as Config['autoCompactionMode'],
    autoCompactionRetention: str('auto-compaction-retention', '0'),
    logger: str('logger', 'zap') as Config['logger'],
    logLevel: logLevel as LogLevel,
    logOutputs,
    logFormat: logFormat as Config['logFormat'],
    enableLogRotation: bool('enable-log-rotation', false),
    logRotationConfigJson: str('log-rotation-config-json', d.logRotationConfigJson),
    preVote: bool('pre-vote', true),
    strictReconfigCheck: bool('strict-reconfig-check', true),
    watchProgressNotifyMs,
    unsafeNoFsync: bool('unsafe-no-fsync', false),
    clientTls: {
      certFile: str('cert-file', ''),
      keyFile: str('key-file', ''),
      trustedCaFile: str('trusted-ca-file', ''),
      clientCertAuth: bool('client-cert-auth', false),
      crlFile: str('client-crl-file', ''),
    },
    clientAutoTls: bool('auto-tls', false),
    peerAutoTls: bool('peer-auto-tls', false),
    selfSignedCertValidity: uint('self-signed-cert-validity', d.selfSignedCertValidity),
    tlsMinVersion: str('tls-min-version', d.tlsMinVersion),
    tlsMaxVersion: str('tls-max-version', d.tlsMaxVersion),
    cipherSuites: list('cipher-suites'),
    peerTls: {
      certFile: str('peer-cert-file', ''),
      keyFile: str('peer-key-file', ''),
      trustedCaFile: str('peer-trusted-ca-file', ''),
      clientCertAuth: bool('peer-client-cert-auth', false),
      crlFile: str('peer-crl-file', ''),
      allowedCns: list('peer-cert-allowed-cn'),
      allowedHostnames: list('peer-cert-allowed-hostname'),
    },
    unimplementedFlags,
  };
  const walDir = str('wal-dir', '');
  if (walDir !== '') config.walDir = walDir;
  if (config.initialCluster.length === 0 && initialCluster !== '') {
    throw new ConfigError(`invalid --initial-cluster ${JSON.stringify(initialCluster)}`);
  }
  return { config, notes };
}
