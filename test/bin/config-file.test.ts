/**
 * --config-file: etcd 3.6's YAML rules (the JSON type of each key's Go field, encoding/json's
 * error naming the key, YAML 1.1 scalars, nulls and unknown keys skipped) and its precedence (the
 * file replaces every flag and the environment). The error texts are etcd 3.6.16's, recorded from
 * the real binary with the same files; test/compat/config-file.test.ts runs both side by side.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFileValues } from '../../bin/config-file';
import { parseArgs, type ParseResult } from '../../bin/parse-args';

const NOW = (): Date => new Date('2024-01-02T03:04:05.000Z');
const PREFIX = 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ';

function withFile(text: string, argv: string[] = [], env: Record<string, string> = {}): ParseResult {
  const files: Record<string, string> = { '/etc/etcd.yaml': text };
  return parseArgs(['--config-file', '/etc/etcd.yaml', ...argv], env, {
    now: NOW,
    readFile: (p) => {
      const t = files[p];
      if (t === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return t;
    },
  });
}

function errorOf(r: ParseResult): string {
  assert.equal(r.kind, 'exit');
  if (r.kind !== 'exit') return '';
  assert.equal(r.code, 1);
  return String((JSON.parse(r.stderr ?? '{}') as Record<string, unknown>)['error']);
}

test('values come out in flag syntax: lists comma-joined, durations in ns, YAML 1.1 booleans, last repeated key', () => {
  const v = configFileValues(
    [
      'name: n1',
      'heartbeat-interval: 50',
      'pre-vote: yes',
      'log-outputs: [stderr, stdout]',
      'watch-progress-notify-interval: 5000000000',
      'experimental-snapshot-catch-up-entries: 10',
      'snapshot-count:',
      'no-such-key: 1',
      'client-transport-security: {cert-file: /c.pem, auto-tls: true, allowed-hostname: [h]}',
      'peer-transport-security: {cert-file: /p.pem, client-cert-auth: true}',
      'name: n2',
    ].join('\n'),
  );
  assert.deepEqual(Object.fromEntries(v.values), {
    name: 'n2',
    'heartbeat-interval': '50',
    'pre-vote': 'true',
    'log-outputs': 'stderr,stdout',
    'watch-progress-notify-interval': '5000000000ns',
    'experimental-snapshot-catchup-entries': '10',
    'cert-file': '/c.pem',
    'peer-cert-file': '/p.pem',
    'peer-client-cert-auth': 'true',
    'auto-tls': 'true',
  });
  assert.deepEqual(v.unknown, ['no-such-key']);
  assert.deepEqual(v.unsupported, ['client-transport-security.allowed-hostname']);
  assert.deepEqual(configFileValues('').values.size, 0);
});

test("a value of the wrong JSON type fails with etcd's message naming the key", () => {
  const cases: [string, string][] = [
    ['snapshot-count: abc', 'string into Go struct field configYAML.Config.snapshot-count of type uint64'],
    ['heartbeat-interval: -5', 'number -5 into Go struct field configYAML.Config.heartbeat-interval of type uint'],
    ['name: 123', 'number into Go struct field configYAML.Config.name of type string'],
    ['auto-compaction-retention: 1', 'number into Go struct field configYAML.Config.auto-compaction-retention of type string'],
    ['log-outputs: stderr', 'string into Go struct field configYAML.Config.log-outputs of type []string'],
    ['log-outputs: [1]', 'number into Go struct field configYAML.Config.log-outputs of type string'],
    [
      'watch-progress-notify-interval: 5s',
      'string into Go struct field configYAML.Config.watch-progress-notify-interval of type time.Duration',
    ],
    ['snapshot-count: 1.5', 'number 1.5 into Go struct field configYAML.Config.snapshot-count of type uint64'],
    [
      'snapshot-count: 18446744073709551616',
      'number 18446744073709552000 into Go struct field configYAML.Config.snapshot-count of type uint64',
    ],
    [
      'max-concurrent-streams: 4294967296',
      'number 4294967296 into Go struct field configYAML.Config.max-concurrent-streams of type uint32',
    ],
    ['pre-vote: "true"', 'string into Go struct field configYAML.Config.pre-vote of type bool'],
    ['snapshot-count: {a: 1}', 'object into Go struct field configYAML.Config.snapshot-count of type uint64'],
    ['name: [a]', 'array into Go struct field configYAML.Config.name of type string'],
    ['listen-client-urls: 5', 'number into Go struct field configYAML.configJSON.listen-client-urls of type string'],
    [
      'client-transport-security: 5',
      'number into Go struct field configYAML.configJSON.client-transport-security of type embed.securityConfig',
    ],
    ['v2-deprecation: 5', 'number into Go struct field configYAML.Config.v2-deprecation of type config.V2DeprecationEnum'],
    ['feature-gates: 5', 'number into Go struct field configYAML.configJSON.feature-gates of type string'],
    ['- a', 'array into Go value of type embed.configYAML'],
  ];
  for (const [yaml, msg] of cases) assert.equal(errorOf(withFile(yaml + '\n')), PREFIX + msg, yaml);
  assert.match(errorOf(withFile('name: [\n')), /^error converting YAML to JSON: yaml: line \d+: /);
});

test('the file replaces flags and the environment; ETCD_CONFIG_FILE names it too; an unreadable file is refused', () => {
  const r = withFile('name: from-file\nheartbeat-interval: 50\nelection-timeout: 500\n', ['--name', 'from-flag', '--snapshot-count', '7'], {
    ETCD_NAME: 'from-env',
  });
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.equal(r.config.name, 'from-file');
  assert.equal(r.config.heartbeatMs, 50);
  assert.equal(r.config.electionMs, 500);
  assert.notEqual(r.config.snapshotCount, 7, 'the flag is ignored');
  const loaded = r.warnings.map((w) => JSON.parse(w) as Record<string, unknown>).find((w) => w['path'] === '/etc/etcd.yaml');
  assert.equal(
    loaded?.['msg'],
    'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided',
  );
  // Through the environment variable, with a flag and its variable both set (a conflict without a file).
  const viaEnv = parseArgs(['--name', 'x'], { ETCD_CONFIG_FILE: '/f.yaml', ETCD_NAME: 'y' }, { now: NOW, readFile: () => 'name: z\n' });
  assert.equal(viaEnv.kind === 'run' && viaEnv.config.name, 'z');
  const missing = parseArgs(
    ['--config-file', '/missing.yaml'],
    {},
    {
      now: NOW,
      readFile: () => {
        throw Object.assign(new Error('x'), { code: 'ENOENT' });
      },
    },
  );
  assert.equal(errorOf(missing), 'open /missing.yaml: no such file or directory');
  // Validation still applies to values from the file.
  assert.match(
    errorOf(withFile('auto-compaction-mode: weekly\nauto-compaction-retention: "1"\n')),
    /unknown auto-compaction-mode "weekly"/,
  );
  assert.match(errorOf(withFile('listen-client-urls: http://127.0.0.1:2379\n')), /--advertise-client-urls/);
});
