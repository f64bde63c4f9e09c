import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ParseResult, NOT_IMPLEMENTED_MSG, parseArgs } from '../../bin/parse-args';
import { type Config, WAL_DIR_UNSUPPORTED } from '../../src/server/config/config';
import { FLAGS } from '../../bin/flag-table';
import { ETCD_VERSION } from '../../src/version';

const NOW = (): Date => new Date('2024-01-02T03:04:05.000Z');

function run(argv: string[], env: Record<string, string | undefined> = {}): { config: Config; warnings: string[] } {
  const r = parseArgs(argv, env, { now: NOW });
  if (r.kind !== 'run') assert.fail(`expected run, got exit ${r.code}: ${r.stderr ?? r.stdout ?? ''}`);
  return { config: r.config, warnings: r.warnings };
}

function exit(argv: string[], env: Record<string, string | undefined> = {}): Extract<ParseResult, { kind: 'exit' }> {
  const r = parseArgs(argv, env, { now: NOW });
  if (r.kind !== 'exit') assert.fail('expected exit');
  return r;
}

/** Asserts a single-line error on stderr containing `text`, exit 1. */
function fails(argv: string[], text: string, env: Record<string, string | undefined> = {}): void {
  const r = exit(argv, env);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, undefined);
  const err = r.stderr ?? '';
  assert.equal(err.split('\n').filter((l) => l !== '').length, 1, `one line expected, got: ${err}`);
  // validation errors are etcd-style JSON log lines ("failed to verify flags" + error); Go flag errors are plain text
  const shown = err.startsWith('{') ? String((JSON.parse(err) as Record<string, unknown>)['error']) : err;
  assert.ok(shown.includes(text), `stderr ${JSON.stringify(err)} should include ${JSON.stringify(text)}`);
}

function msgs(warnings: string[]): Array<Record<string, unknown>> {
  return warnings.map((w) => JSON.parse(w) as Record<string, unknown>);
}

test('defaults are etcd 3.6 defaults', () => {
  const { config: c } = run([]);
  assert.equal(c.name, 'default');
  assert.equal(c.dataDir, 'default.etcd');
  assert.equal(c.walDir, undefined);
  assert.deepEqual(c.listenClientUrls.map(String), ['http://localhost:2379/']);
  assert.deepEqual(c.advertiseClientUrls, ['http://localhost:2379']);
  assert.deepEqual(c.listenPeerUrls.map(String), ['http://localhost:2380/']);
  assert.deepEqual(c.initialAdvertisePeerUrls, ['http://localhost:2380']);
  assert.deepEqual(c.initialCluster, [{ name: 'default', peerUrls: ['http://localhost:2380'] }]);
  assert.equal(c.initialClusterState, 'new');
  assert.equal(c.initialClusterToken, 'etcd-cluster');
  assert.equal(c.heartbeatMs, 100);
  assert.equal(c.electionMs, 1000);
  assert.equal(c.snapshotCount, 10000);
  assert.equal(c.snapshotCatchupEntries, 5000);
  assert.equal(c.quotaBackendBytes, 0);
  assert.equal(c.maxRequestBytes, 1572864);
  assert.equal(c.maxTxnOps, 128);
  assert.equal(c.autoCompactionMode, 'periodic');
  assert.equal(c.autoCompactionRetention, '0');
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logger, 'zap');
  assert.deepEqual(c.logOutputs, ['default']);
  assert.equal(c.logFormat, 'json');
  assert.equal(c.preVote, true);
  assert.equal(c.strictReconfigCheck, true);
  assert.equal(c.watchProgressNotifyMs, 600000);
  assert.equal(c.unsafeNoFsync, false);
  assert.deepEqual(c.unimplementedFlags, []);
});

test('Go flag syntax: -f v, -f=v, --f=v, --f v', () => {
  for (const argv of [['-name', 's1'], ['-name=s1'], ['--name=s1'], ['--name', 's1']]) {
    assert.equal(run(argv).config.name, 's1', argv.join(' '));
  }
  // a value may itself start with a dash when given as the next argument
  assert.equal(run(['--initial-cluster-token', '-tok']).config.initialClusterToken, '-tok');
  // last occurrence wins
  assert.equal(run(['--name', 'a', '--name', 'b']).config.name, 'b');
});

test('boolean flags: --flag, --flag=true|false, Go bool spellings', () => {
  assert.equal(run(['--unsafe-no-fsync']).config.unsafeNoFsync, true);
  assert.equal(run(['-unsafe-no-fsync=true']).config.unsafeNoFsync, true);
  assert.equal(run(['--pre-vote=false']).config.preVote, false);
  assert.equal(run(['--pre-vote=0']).config.preVote, false);
  assert.equal(run(['--strict-reconfig-check=F']).config.strictReconfigCheck, false);
  fails(['--pre-vote=maybe'], 'invalid boolean value "maybe" for -pre-vote: parse error');
  // as in Go, "--pre-vote false" leaves "false" as a positional argument
  fails(['--pre-vote', 'false'], '"false" is not a valid flag');
});

test('unknown flag, missing argument, bad syntax, positional argument', () => {
  fails(['--bogus-flag'], 'flag provided but not defined: -bogus-flag');
  fails(['--name'], 'flag needs an argument: -name');
  fails(['---name=x'], 'bad flag syntax: ---name=x');
  fails(['extra'], '"extra" is not a valid flag');
  // "--" ends the flags; what follows is positional
  fails(['--', '--name=x'], '"--name=x" is not a valid flag');
});

test('numeric flags use Go parsing', () => {
  assert.equal(run(['--snapshot-count', '0x10']).config.snapshotCount, 16);
  assert.equal(run(['--quota-backend-bytes', '-1']).config.quotaBackendBytes, -1);
  assert.equal(run(['--quota-backend-bytes=8589934592']).config.quotaBackendBytes, 8589934592);
  fails(['--heartbeat-interval', 'abc'], 'invalid value "abc" for flag -heartbeat-interval: parse error');
  fails(['--max-txn-ops', '-1'], 'invalid value "-1" for flag -max-txn-ops: parse error');
});

test('URL flags: lists are validated, sorted and de-duplicated; bad URLs fail', () => {
  const { config } = run([
    '--listen-client-urls',
    'http://127.0.0.2:2379,http://127.0.0.1:2379,http://127.0.0.1:2379',
    '--advertise-client-urls=http://10.0.0.1:2379',
  ]);
  assert.deepEqual(
    config.listenClientUrls.map((u) => u.host),
    ['127.0.0.1:2379', '127.0.0.2:2379'],
  );
  assert.deepEqual(config.advertiseClientUrls, ['http://10.0.0.1:2379']);
  fails(
    ['--listen-client-urls', 'http://127.0.0.1', '--advertise-client-urls', 'http://127.0.0.1:2379'],
    'invalid value "http://127.0.0.1" for flag -listen-client-urls: URL address does not have the form "host:port": http://127.0.0.1',
  );
  fails(['--listen-peer-urls', 'ftp://127.0.0.1:2380'], 'URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:2380');
  fails(['--advertise-client-urls', 'http://h:1/path'], 'URL must not contain a path: http://h:1/path');
  fails(['--listen-peer-urls', 'http://example.com:2380'], 'expected IP in URL for binding (http://example.com:2380)');
});

test('--listen-client-urls requires --advertise-client-urls (flag or env)', () => {
  const text = '--advertise-client-urls is required when --listen-client-urls is set explicitly';
  fails(['--listen-client-urls', 'http://127.0.0.1:1'], text);
  fails([], text, { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:1' });
  const ok = run(['--listen-client-urls', 'http://0.0.0.0:2379'], { ETCD_ADVERTISE_CLIENT_URLS: 'http://10.1.1.1:2379' });
  assert.deepEqual(ok.config.advertiseClientUrls, ['http://10.1.1.1:2379']);
  // the peer side has no such pairing in etcd: the advertise peer URL keeps its default
  const peer = run(['--listen-peer-urls', 'http://127.0.0.1:2380']);
  assert.deepEqual(peer.config.initialAdvertisePeerUrls, ['http://localhost:2380']);
});

test('election timeout rules use etcd texts', () => {
  fails(['--election-timeout', '400'], '--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]');
  fails(
    ['--heartbeat-interval', '20', '--election-timeout', '50001'],
    '--election-timeout[50001ms] is too long, and should be set less than 50000ms',
  );
  fails(['--heartbeat-interval', '0'], '--heartbeat-interval must be >0 (set to 0ms)');
  const ok = run(['--heartbeat-interval', '50', '--election-timeout', '250']).config;
  assert.equal(ok.heartbeatMs, 50);
  assert.equal(ok.electionMs, 250);
});

test('--initial-cluster-state accepts only new|existing', () => {
  assert.equal(run(['--initial-cluster-state', 'existing']).config.initialClusterState, 'existing');
  fails(['--initial-cluster-state', 'old'], 'invalid value "old" for flag -initial-cluster-state: invalid value');
  fails([], 'invalid value "old" for ETCD_INITIAL_CLUSTER_STATE: invalid value', { ETCD_INITIAL_CLUSTER_STATE: 'old' });
});

test('only --name given: initial cluster becomes <name>=<advertise peer URLs>; data dir <name>.etcd', () => {
  const c = run(['--name', 's1']).config;
  assert.deepEqual(c.initialCluster, [{ name: 's1', peerUrls: ['http://localhost:2380'] }]);
  assert.equal(c.dataDir, 's1.etcd');
  const c2 = run(['--name', 's1', '--initial-advertise-peer-urls', 'http://127.0.0.1:12380,http://127.0.0.1:12381']).config;
  assert.deepEqual(c2.initialCluster, [{ name: 's1', peerUrls: ['http://127.0.0.1:12380', 'http://127.0.0.1:12381'] }]);
  // an explicit, different initial cluster is kept as given
  const c3 = run(['--name', 's1', '--initial-cluster', 's1=http://127.0.0.1:1,s2=http://127.0.0.1:2']).config;
  assert.deepEqual(c3.initialCluster, [
    { name: 's1', peerUrls: ['http://127.0.0.1:1'] },
    { name: 's2', peerUrls: ['http://127.0.0.1:2'] },
  ]);
  // without --name, the default initial cluster is left alone (etcd compares against "default")
  assert.deepEqual(run(['--initial-advertise-peer-urls', 'http://127.0.0.1:5']).config.initialCluster, [
    { name: 'default', peerUrls: ['http://localhost:2380'] },
  ]);
});

test('the docker recipe parses', () => {
  const c = run([
    '--name',
    's1',
    '--data-dir',
    '/etcd-data',
    '--listen-client-urls',
    'http://0.0.0.0:2379',
    '--advertise-client-urls',
    'http://0.0.0.0:2379',
    '--listen-peer-urls',
    'http://0.0.0.0:2380',
    '--initial-advertise-peer-urls',
    'http://0.0.0.0:2380',
    '--initial-cluster',
    's1=http://0.0.0.0:2380',
    '--initial-cluster-token',
    'tkn',
    '--initial-cluster-state',
    'new',
    '--log-level',
    'info',
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ]).config;
  assert.equal(c.dataDir, '/etcd-data');
  assert.deepEqual(c.logOutputs, ['stderr']);
  assert.equal(c.initialClusterToken, 'tkn');
});

test('ETCD_* environment: applied when non-empty, unknown ones warn, ETCD_VERSION is special', () => {
  const { config, warnings } = run([], {
    ETCD_NAME: 'envname',
    ETCD_DATA_DIR: '',
    ETCD_SNAPSHOT_COUNT: '42',
    ETCD_PRE_VOTE: 'false',
    ETCD_BOGUS: 'x',
    ETCD_VERSION: '3.4',
    PATH: '/bin',
  });
  assert.equal(config.name, 'envname');
  assert.equal(config.dataDir, 'envname.etcd');
  assert.equal(config.snapshotCount, 42);
  assert.equal(config.preVote, false);
  const w = msgs(warnings);
  assert.ok(w.some((m) => m['msg'] === 'unrecognized environment variable' && m['environment-variable'] === 'ETCD_BOGUS=x'));
  assert.ok(w.some((m) => m['msg'] === 'cannot set special environment variable' && m['key'] === 'ETCD_VERSION'));
  assert.ok(!w.some((m) => m['environment-variable'] === 'PATH=/bin'));
  for (const m of w) assert.equal(m['level'], 'warn');
  fails([], 'invalid value "abc" for ETCD_HEARTBEAT_INTERVAL: parse error', { ETCD_HEARTBEAT_INTERVAL: 'abc' });
});

test('a flag together with its environment variable is fatal', () => {
  const r = exit(['--name', 'a'], { ETCD_NAME: 'b' });
  assert.equal(r.code, 1);
  const lines = (r.stderr ?? '').trim().split('\n');
  assert.equal(lines.length, 1);
  const m = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  assert.equal(m['level'], 'fatal');
  assert.equal(
    m['msg'],
    'conflicting environment variable is shadowed by corresponding command-line flag (either unset environment variable or disable flag))',
  );
  assert.equal(m['environment-variable'], 'ETCD_NAME');
});

test('durations use Go syntax; experimental alias; both set is an error', () => {
  assert.equal(run(['--watch-progress-notify-interval', '500ms']).config.watchProgressNotifyMs, 500);
  assert.equal(run(['--watch-progress-notify-interval=1m30s']).config.watchProgressNotifyMs, 90000);
  const alias = run(['--experimental-watch-progress-notify-interval', '10m']);
  assert.equal(alias.config.watchProgressNotifyMs, 600000);
  assert.ok(msgs(alias.warnings).some((m) => String(m['msg']).startsWith('--experimental-watch-progress-notify-interval is deprecated')));
  const small = run(['--watch-progress-notify-interval', '1ms']);
  assert.equal(small.config.watchProgressNotifyMs, 100);
  fails(['--watch-progress-notify-interval', '10'], 'invalid value "10" for flag -watch-progress-notify-interval: parse error');
  fails(
    ['--experimental-watch-progress-notify-interval', '1s', '--watch-progress-notify-interval', '2s'],
    'cannot set --experimental-watch-progress-notify-interval and --watch-progress-notify-interval at the same time, please use --watch-progress-notify-interval only',
  );
  assert.equal(run(['--experimental-snapshot-catchup-entries', '7']).config.snapshotCatchupEntries, 7);
});

test('--wal-dir is refused with a clear error (no separate WAL in etcd-ts), from a flag, the environment or a config file', () => {
  fails(['--wal-dir', '/w'], WAL_DIR_UNSUPPORTED);
  fails([], WAL_DIR_UNSUPPORTED, { ETCD_WAL_DIR: '/w' });
  const r = parseArgs(['--config-file', '/f.yaml'], {}, { now: NOW, readFile: () => 'wal-dir: /w\n' });
  assert.equal(r.kind === 'exit' && JSON.parse(r.stderr ?? '{}').error, WAL_DIR_UNSUPPORTED);
  // An empty value is no value, as in etcd.
  assert.equal(run(['--wal-dir', '']).config.walDir, undefined);
});

test('implemented scalar flags feed the Config', () => {
  const c = run([
    '--max-request-bytes',
    '100',
    '--max-txn-ops',
    '5',
    '--quota-backend-bytes',
    '1024',
    '--auto-compaction-mode',
    'revision',
    '--auto-compaction-retention',
    '1000',
    '--log-level',
    'DEBUG',
    '--log-format',
    'console',
    '--log-outputs',
    'stdout,stderr,stdout',
    '--snapshot-catchup-entries',
    '9',
  ]).config;
  assert.equal(c.maxRequestBytes, 100);
  assert.equal(c.maxTxnOps, 5);
  assert.equal(c.quotaBackendBytes, 1024);
  assert.equal(c.autoCompactionMode, 'revision');
  assert.equal(c.autoCompactionRetention, '1000');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.logFormat, 'console');
  assert.deepEqual(c.logOutputs, ['stderr', 'stdout']);
  assert.equal(c.snapshotCatchupEntries, 9);
  fails(['--log-level', 'loud'], 'unrecognized level: "loud"');
  fails(['--log-format', 'xml'], 'unknown log format: xml, supported values json, console');
  fails(['--logger', 'capnslog'], '--logger=capnslog is removed in v3.5');
  fails(['--auto-compaction-mode', 'weekly'], 'unknown auto-compaction-mode "weekly"');
  fails(['--auto-compaction-retention', '5x'], 'error parsing CompactionRetention: time: unknown unit "x" in duration "5x"');
  fails(['--log-outputs', 'default,stderr'], 'multi logoutput for "default" is not supported yet');
});

test('unimplemented flags are accepted with one warning each, never silently', () => {
  const { config, warnings } = run(['--backend-bbolt-freelist-type', 'map', '--enable-grpc-gateway', '--max-wals=3'], {
    ETCD_ENABLE_PPROF: 'true',
  });
  assert.deepEqual(config.unimplementedFlags, ['--backend-bbolt-freelist-type', '--enable-grpc-gateway', '--enable-pprof', '--max-wals']);
  const w = msgs(warnings);
  for (const f of ['--enable-grpc-gateway', '--backend-bbolt-freelist-type', '--max-wals', '--enable-pprof']) {
    const hits = w.filter((m) => m['flag'] === f);
    assert.equal(hits.length, 1, f);
    assert.equal(hits[0]?.['msg'], NOT_IMPLEMENTED_MSG);
    assert.equal(hits[0]?.['level'], 'warn');
  }
  assert.equal(w.find((m) => m['flag'] === '--enable-pprof')?.['environment-variable'], 'ETCD_ENABLE_PPROF');
  // values of unimplemented flags are still syntax-checked, as etcd would
  fails(['--max-wals', 'many'], 'invalid value "many" for flag -max-wals: parse error');
  fails(['--grpc-keepalive-timeout', '5'], 'invalid value "5" for flag -grpc-keepalive-timeout: parse error');
  fails(['--discovery-fallback', 'proxy'], 'v2 proxy is deprecated');
  // legacy flags etcd ignores are accepted as booleans
  const legacy = run(['-v', '--force']);
  assert.deepEqual(legacy.config.unimplementedFlags, ['--force', '--v']);
});

test('every etcd 3.6 flag is recognised', () => {
  // 138 flags registered by etcd 3.6 plus 15 legacy ignored ones, plus etcd-ts's --value-cache-bytes
  assert.equal(FLAGS.size, 154);
  const argv: string[] = [];
  for (const def of FLAGS.values()) {
    if (def.name === 'version') continue;
    const r = parseArgs([`--${def.name}=@@bad@@`], {}, { now: NOW });
    assert.ok(r.kind === 'run' || !(r.stderr ?? '').includes('flag provided but not defined'), def.name);
    if (def.kind === 'bool' || def.kind === 'ignored') argv.push(`--${def.name}`);
  }
  // all boolean flags at once (the experimental aliases conflict with their new names, as in etcd;
  // --enable-log-rotation needs a file among --log-outputs, as in etcd)
  const r = parseArgs(
    argv.filter((a) => !a.startsWith('--experimental-') && a !== '--enable-log-rotation'),
    {},
    { now: NOW },
  );
  assert.equal(r.kind, 'run');
  const r2 = parseArgs(
    argv.filter((a) => a.startsWith('--experimental-')),
    {},
    { now: NOW },
  );
  assert.equal(r2.kind, 'run');
});

test('--version prints etcd-shaped text and exits 0; flag errors come first', () => {
  const r = exit(['--version']);
  assert.equal(r.code, 0);
  const lines = (r.stdout ?? '').split('\n');
  assert.equal(lines[0], `etcd Version: ${ETCD_VERSION}`);
  assert.equal(lines[1], 'Git SHA: etcd-ts');
  assert.equal(lines[2], `Go Version: node ${process.version}`);
  assert.match(lines[3] ?? '', /^Go OS\/Arch: [a-z0-9]+\/[a-z0-9]+$/);
  assert.equal(exit(['-version']).code, 0);
  assert.equal(exit(['--version'], { ETCD_NAME: 'x', ETCD_HEARTBEAT_INTERVAL: 'bad' }).code, 0);
  fails(['--version', '--bogus'], 'flag provided but not defined: -bogus');
  assert.equal(run(['--version=false']).config.name, 'default');
});

test('--help / -h print usage and exit 0', () => {
  for (const f of ['--help', '-h', '-help']) {
    const r = exit([f]);
    assert.equal(r.code, 0);
    assert.ok((r.stdout ?? '').startsWith('Usage:'));
    assert.ok((r.stdout ?? '').includes('--listen-client-urls'));
    assert.ok((r.stdout ?? '').includes('--cert-file'));
  }
});
