import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  autoCompactionRetention,
  defaultConfig,
  effectiveQuotaBackendBytes,
  electionTicks,
  validateConfig,
  verifyBootstrap,
} from '../../src/server/config/config';
import { formatGoDuration, parseGoDuration } from '../../src/server/config/duration';
import { formatInitialCluster, parseInitialCluster, parseUrlList, urlHost, urlPort, urlToEtcdString } from '../../src/server/config/urls';

function throwsConfig(fn: () => unknown, text: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.message === text);
}

test('defaultConfig: overrides, data dir and initial cluster follow the name', () => {
  const c = defaultConfig({
    name: 'n1',
    dataDir: '/tmp/x',
    listenClientUrls: [new URL('http://127.0.0.1:0')],
    advertiseClientUrls: ['http://127.0.0.1:0'],
    initialAdvertisePeerUrls: ['http://127.0.0.1:12380'],
    listenPeerUrls: [new URL('http://127.0.0.1:12380')],
  });
  assert.equal(c.dataDir, '/tmp/x');
  assert.deepEqual(c.initialCluster, [{ name: 'n1', peerUrls: ['http://127.0.0.1:12380'] }]);
  assert.equal(c.heartbeatMs, 100);
  validateConfig(c);
  verifyBootstrap(c);
  assert.equal(defaultConfig({ name: 'z' }).dataDir, 'z.etcd');
  assert.equal(defaultConfig({ walDir: undefined }).walDir, undefined);
  // arrays are not shared between configs
  assert.notEqual(defaultConfig().unimplementedFlags, defaultConfig().unimplementedFlags);
});

test('validateConfig: etcd texts', () => {
  throwsConfig(
    () => validateConfig(defaultConfig({ advertiseClientUrls: [] })),
    '--advertise-client-urls is required when --listen-client-urls is set explicitly',
  );
  throwsConfig(
    () => validateConfig(defaultConfig({ electionMs: 499 })),
    '--election-timeout[499ms] should be at least as 5 times as --heartbeat-interval[100ms]',
  );
  throwsConfig(
    () => validateConfig(defaultConfig({ electionMs: 60000 })),
    '--election-timeout[60000ms] is too long, and should be set less than 50000ms',
  );
  throwsConfig(() => validateConfig(defaultConfig({ electionMs: 0 })), '--election-timeout must be >0 (set to 0ms)');
  throwsConfig(() => validateConfig(defaultConfig({ initialClusterState: 'bogus' as 'new' })), 'unexpected clusterState "bogus"');
  throwsConfig(
    () => validateConfig(defaultConfig({ listenClientUrls: [new URL('http://example.com:2379')] })),
    'expected IP in URL for binding (http://example.com:2379)',
  );
  throwsConfig(
    () => validateConfig(defaultConfig({ advertiseClientUrls: ['http://h'] })),
    '--advertise-client-urls "http://h" must be "host:port" (URL address does not have the form "host:port": http://h)',
  );
  throwsConfig(() => validateConfig(defaultConfig({ initialCluster: [] })), 'initial cluster unset and no discovery URL found');
  // unix sockets and IPv6 literals bind fine
  validateConfig(defaultConfig({ listenClientUrls: [new URL('unix://localhost:1234'), new URL('http://[::1]:2379')] }));
});

test('verifyBootstrap: local member and advertise/initial-cluster agreement', () => {
  throwsConfig(
    () => verifyBootstrap(defaultConfig({ name: 's1', initialCluster: [{ name: 's2', peerUrls: ['http://127.0.0.1:2'] }] })),
    'couldn\'t find local name "s1" in the initial cluster configuration',
  );
  throwsConfig(
    () =>
      verifyBootstrap(
        defaultConfig({
          name: 's1',
          initialAdvertisePeerUrls: ['http://127.0.0.1:1'],
          initialCluster: [{ name: 's1', peerUrls: ['http://127.0.0.1:9'] }],
        }),
      ),
    '--initial-cluster has s1=http://127.0.0.1:9 but missing from --initial-advertise-peer-urls=http://127.0.0.1:1',
  );
  throwsConfig(
    () =>
      verifyBootstrap(
        defaultConfig({
          name: 'a',
          initialAdvertisePeerUrls: ['http://127.0.0.1:1'],
          initialCluster: [
            { name: 'a', peerUrls: ['http://127.0.0.1:1'] },
            { name: 'b', peerUrls: ['http://127.0.0.1:1'] },
          ],
        }),
      ),
    'initial cluster a=http://127.0.0.1:1,b=http://127.0.0.1:1 has duplicate url',
  );
  // joining an existing cluster does not require the advertise URLs to match
  verifyBootstrap(
    defaultConfig({
      name: 's1',
      initialClusterState: 'existing',
      initialAdvertisePeerUrls: ['http://127.0.0.1:1'],
      initialCluster: [{ name: 's1', peerUrls: ['http://127.0.0.1:9'] }],
    }),
  );
});

test('derived values: quota, ticks, compaction retention', () => {
  assert.equal(effectiveQuotaBackendBytes({ quotaBackendBytes: 0 }), 2 * 1024 ** 3);
  assert.equal(effectiveQuotaBackendBytes({ quotaBackendBytes: 5 }), 5);
  assert.equal(effectiveQuotaBackendBytes({ quotaBackendBytes: -1 }), Infinity);
  assert.equal(electionTicks({ electionMs: 1000, heartbeatMs: 100 }), 10);
  assert.deepEqual(autoCompactionRetention({ autoCompactionMode: 'periodic', autoCompactionRetention: '1' }), {
    periodMs: 3600000,
    revisions: 0,
  });
  assert.deepEqual(autoCompactionRetention({ autoCompactionMode: 'periodic', autoCompactionRetention: '5m' }), {
    periodMs: 300000,
    revisions: 0,
  });
  assert.deepEqual(autoCompactionRetention({ autoCompactionMode: 'revision', autoCompactionRetention: '1000' }), {
    periodMs: 0,
    revisions: 1000,
  });
});

test('Go durations', () => {
  assert.equal(parseGoDuration('10m'), 600000);
  assert.equal(parseGoDuration('500ms'), 500);
  assert.equal(parseGoDuration('1h2m3s'), 3723000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('-2s'), -2000);
  assert.equal(parseGoDuration('0'), 0);
  assert.equal(parseGoDuration('100us'), 0.1);
  throwsConfig(() => parseGoDuration('10'), 'time: missing unit in duration "10"');
  throwsConfig(() => parseGoDuration('x'), 'time: invalid duration "x"');
  throwsConfig(() => parseGoDuration('3d'), 'time: unknown unit "d" in duration "3d"');
  assert.equal(formatGoDuration(600000), '10m0s');
  assert.equal(formatGoDuration(300), '300ms');
});

test('URL helpers', () => {
  assert.deepEqual(parseUrlList('http://b:1, http://a:1,http://a:1'), ['http://a:1', 'http://b:1']);
  assert.deepEqual(parseUrlList('HTTP://a:1'), ['http://a:1']);
  throwsConfig(() => parseUrlList('127.0.0.1:2379'), 'parse "127.0.0.1:2379": missing protocol scheme');
  throwsConfig(() => parseUrlList('http://[::1]'), 'URL address does not have the form "host:port": http://[::1]');
  const u = new URL('http://127.0.0.1:80');
  assert.equal(urlPort(u), 80);
  assert.equal(urlPort(new URL('https://h')), 443);
  assert.equal(urlPort(new URL('http://h:0')), 0);
  assert.equal(urlHost(new URL('http://[::1]:5')), '::1');
  assert.equal(urlToEtcdString(new URL('http://127.0.0.1:2379')), 'http://127.0.0.1:2379');
  const members = parseInitialCluster('s2=http://h:2,s1=http://h:1b,s1=http://h:1a'.replace('1b', '12').replace('1a', '11'));
  assert.deepEqual(members, [
    { name: 's2', peerUrls: ['http://h:2'] },
    { name: 's1', peerUrls: ['http://h:11', 'http://h:12'] },
  ]);
  assert.equal(formatInitialCluster(members), 's1=http://h:11,s1=http://h:12,s2=http://h:2');
  throwsConfig(() => parseInitialCluster('s1'), 'parse "": missing protocol scheme');
});
