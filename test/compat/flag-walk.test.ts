/**
 * Every flag the README lists as implemented changes behaviour, shown by a test: the walk reads
 * the README's list, checks it against the flag table (implemented flags only, nothing missing),
 * and finds for each flag the test that shows its effect (the named test exists in the named file
 * and passes the flag). The identity, URL and cluster flags, which every other test passes through
 * helpers, are shown here, side by side with etcd 3.6: non-default values reach `member list`, the
 * data dir and the listeners; --max-request-bytes refuses a larger put; with a two-member
 * --initial-cluster one member alone has no quorum and both serve once the second runs;
 * --initial-cluster-state existing asks the peers and fails as etcd fails when none answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { FLAGS } from '../../bin/flag-table';
import { etcdTsBin, healthy, repoRootDir } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { runEtcdctl, toolPath, waitForChild } from '../helpers/tools';

const HERE = 'test/compat/flag-walk.test.ts';

/** For each implemented flag: the file and the title of the test showing what it changes. */
const WITNESSES: Record<string, { file: string; title: string }> = {
  'config-file': { file: 'test/compat/config-file.test.ts', title: 'a member started from a YAML file' },
  name: { file: HERE, title: 'identity and URL flags' },
  'data-dir': { file: HERE, title: 'identity and URL flags' },
  'listen-client-urls': { file: HERE, title: 'identity and URL flags' },
  'advertise-client-urls': { file: HERE, title: 'identity and URL flags' },
  'listen-peer-urls': { file: HERE, title: 'identity and URL flags' },
  'initial-advertise-peer-urls': { file: HERE, title: 'identity and URL flags' },
  'max-request-bytes': { file: HERE, title: 'identity and URL flags' },
  'initial-cluster': { file: HERE, title: 'a two-member --initial-cluster' },
  'initial-cluster-state': { file: HERE, title: '--initial-cluster-state existing' },
  'initial-cluster-token': { file: 'test/compat/flag-behaviour.test.ts', title: '--initial-cluster-token: member and cluster ids' },
  'heartbeat-interval': { file: 'test/cluster/heartbeat-interval.test.ts', title: '--heartbeat-interval: an idle leader' },
  'election-timeout': { file: 'test/cluster/election-timeout.test.ts', title: '--election-timeout: a 3000 ms cluster' },
  'snapshot-count': { file: 'test/cluster/three-members.test.ts', title: 'a member stopped while more than --snapshot-count' },
  'snapshot-catchup-entries': { file: 'test/server/restart.test.ts', title: 'restart after several Raft log compactions' },
  'quota-backend-bytes': { file: 'test/compat/etcdctl-alarm.test.ts', title: '' },
  'max-txn-ops': { file: 'test/compat/flag-behaviour.test.ts', title: '--max-txn-ops: a Txn with more operations' },
  'bcrypt-cost': { file: 'test/auth/auth-store.test.ts', title: '--bcrypt-cost: the password hash' },
  'auth-token-ttl': { file: 'test/auth/auth-cluster.test.ts', title: 'auth on three members' },
  'auth-token': { file: 'test/auth/auth-tokens.test.ts', title: 'JWT tokens: claims, signature' },
  'value-cache-bytes': { file: 'test/storage/value-cache-flag.test.ts', title: '--value-cache-bytes: 0 sends every value read' },
  'auto-compaction-mode': { file: 'test/compat/auto-compaction.test.ts', title: '' },
  'auto-compaction-retention': { file: 'test/compat/auto-compaction.test.ts', title: '' },
  logger: { file: 'test/bin/parse-args.test.ts', title: '' },
  'log-level': { file: 'test/compat/flag-behaviour.test.ts', title: '--log-level: info lines only at info' },
  'log-outputs': { file: 'test/server/log-outputs.test.ts', title: 'stdout and a file both get every line' },
  'log-format': { file: 'test/server/log-outputs.test.ts', title: 'stdout and a file both get every line, in console format' },
  'enable-log-rotation': { file: 'test/server/log-rotation.test.ts', title: 'a member whose debug log passes maxsize' },
  'log-rotation-config-json': { file: 'test/server/log-rotation.test.ts', title: 'a member whose debug log passes maxsize' },
  'pre-vote': { file: 'test/cluster/pre-vote.test.ts', title: '' },
  'strict-reconfig-check': { file: 'test/compat/strict-reconfig.test.ts', title: '' },
  'watch-progress-notify-interval': { file: 'test/watch/restartable.ts', title: '' },
  'unsafe-no-fsync': { file: 'test/compat/flag-behaviour.test.ts', title: '--unsafe-no-fsync: writes are no longer fsynced' },
  'cert-file': { file: 'test/tls/client-tls.test.ts', title: 'client TLS: etcdctl 3.6 and /health over https' },
  'key-file': { file: 'test/tls/client-tls.test.ts', title: 'client TLS: etcdctl 3.6 and /health over https' },
  'trusted-ca-file': { file: 'test/tls/client-tls.test.ts', title: 'client mTLS: a certificate from the trusted CA is required' },
  'client-cert-auth': { file: 'test/tls/client-tls.test.ts', title: 'client mTLS: a certificate from the trusted CA is required' },
  'peer-cert-file': { file: 'test/tls/peer-tls.test.ts', title: 'three members over peer TLS' },
  'peer-key-file': { file: 'test/tls/peer-tls.test.ts', title: 'three members over peer TLS' },
  'peer-trusted-ca-file': { file: 'test/tls/peer-tls.test.ts', title: 'a member with a certificate from another CA is refused' },
  'peer-client-cert-auth': { file: 'test/tls/peer-tls.test.ts', title: 'a member with a certificate from another CA is refused' },
  'auto-tls': { file: 'test/tls/auto-tls.test.ts', title: '--auto-tls / --peer-auto-tls' },
  'peer-auto-tls': { file: 'test/tls/auto-tls.test.ts', title: 'three members over peer auto-TLS' },
  'self-signed-cert-validity': { file: 'test/tls/auto-tls.test.ts', title: '--self-signed-cert-validity=0' },
  'peer-cert-allowed-cn': { file: 'test/tls/peer-tls.test.ts', title: '--peer-cert-allowed-cn: a member whose certificate' },
  'peer-cert-allowed-hostname': { file: 'test/tls/allowed-names.test.ts', title: 'allowed common names and host names decide' },
  'tls-min-version': { file: 'test/tls/client-tls.test.ts', title: '--tls-min-version, --tls-max-version, --cipher-suites' },
  'tls-max-version': { file: 'test/tls/client-tls.test.ts', title: '--tls-min-version, --tls-max-version, --cipher-suites' },
  'cipher-suites': { file: 'test/tls/client-tls.test.ts', title: '--tls-min-version, --tls-max-version, --cipher-suites' },
  'client-crl-file': { file: 'test/tls/client-tls.test.ts', title: '--client-crl-file: a revoked client certificate' },
  'peer-crl-file': { file: 'test/tls/peer-tls.test.ts', title: '--peer-crl-file: a member whose certificate is revoked' },
  'listen-client-http-urls': { file: 'test/compat/client-ports.test.ts', title: 'client, client-HTTP and metrics URLs serve' },
  'listen-metrics-urls': { file: 'test/compat/client-ports.test.ts', title: 'client, client-HTTP and metrics URLs serve' },
  version: { file: 'test/bin/cli.test.ts', title: 'bin/etcd-ts --version exits 0' },
  help: { file: 'test/bin/parse-args.test.ts', title: '--help / -h print usage and exit 0' },
};

/** Implemented in the flag table but not listed: aliases of listed flags, and the refused --wal-dir. */
const NOT_LISTED = ['experimental-snapshot-catchup-entries', 'experimental-watch-progress-notify-interval', 'wal-dir'];

function readmeImplemented(): string[] {
  const readme = fs.readFileSync(path.join(repoRootDir(), 'README.md'), 'utf8');
  const m = /^Implemented: `([^`]*)`/m.exec(readme);
  assert.ok(m, 'the README has an "Implemented: `...`" flag list');
  return m[1]!
    .split(/\s+/)
    .filter((f) => f !== '')
    .map((f) => {
      assert.match(f, /^--[a-z0-9-]+$/, `README flag ${f}`);
      return f.slice(2);
    });
}

test("the README's implemented flags are the flag table's, and each has a test showing its effect", () => {
  const listed = readmeImplemented();
  const implemented = [...FLAGS.values()].filter((d) => d.implemented).map((d) => d.name);
  for (const f of listed) assert.ok(f === 'help' || implemented.includes(f), `--${f} is listed but not implemented`);
  for (const f of implemented) assert.ok(listed.includes(f) || NOT_LISTED.includes(f), `--${f} is implemented but not listed`);
  assert.deepEqual(Object.keys(WITNESSES).sort(), [...listed].sort(), 'one witness per listed flag');
  for (const f of listed) {
    const w = WITNESSES[f]!;
    const text = fs.readFileSync(path.join(repoRootDir(), w.file), 'utf8');
    assert.ok(text.includes(`--${f}`) || text.includes(`'${f}'`), `${w.file} passes --${f}`);
    if (w.title !== '')
      assert.ok(text.replace(/test\(\s*["'`]/g, "test('").includes(`test('${w.title}`), `${w.file} has the test "${w.title}..."`);
  }
});

interface Started {
  stop(): Promise<{ stderr: string; code: number | null }>;
}

function start(binary: string, args: string[]): Started {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const done = waitForChild(child, 120_000);
  return {
    async stop() {
      child.kill('SIGTERM');
      const r = await done;
      return { stderr: r.stderr, code: r.code };
    },
  };
}

/** One member's flags: listening on 127.0.0.1, advertising `host` (the first member of `cluster`'s form). */
function memberFlags(name: string, dataDir: string, cp: number, pp: number, cluster: string, host = '127.0.0.1'): string[] {
  return [
    `--name=${name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=http://127.0.0.1:${cp}`,
    `--advertise-client-urls=http://${host}:${cp}`,
    `--listen-peer-urls=http://127.0.0.1:${pp}`,
    `--initial-advertise-peer-urls=http://${host}:${pp}`,
    `--initial-cluster=${cluster}`,
  ];
}

const SERVERS: Array<[string, () => [string, string[]]]> = [
  ['etcd', () => [toolPath('etcd'), []]],
  ['etcd-ts', () => [process.execPath, [etcdTsBin()]]],
];

/** Runs `fn` for etcd 3.6 then etcd-ts, each with a fresh temp dir (removed after). */
async function eachServer(fn: (who: string, bin: string, pre: string[], dir: string) => Promise<void>): Promise<void> {
  for (const [who, cmd] of SERVERS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flag-walk-'));
    const [bin, pre] = cmd();
    try {
      await fn(who, bin, pre, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}

interface ListedMember {
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
}

async function memberList(endpoint: string): Promise<ListedMember[]> {
  const r = await runEtcdctl(endpoint, ['member', 'list', '-w', 'json', '--consistency=s']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { members: ListedMember[] }).members;
}

test(
  'identity and URL flags: non-default values reach member list, the data dir and the listeners, as in etcd',
  { timeout: 120_000 },
  async () => {
    await eachServer(async (who, bin, pre, dir) => {
      const [cp, pp] = [await freePort(), await freePort()];
      const s = start(bin, [
        ...pre,
        ...memberFlags('walker', path.join(dir, 'state'), cp, pp, `walker=http://localhost:${pp}`, 'localhost'),
        '--max-request-bytes=2048',
      ]);
      try {
        const url = `http://127.0.0.1:${cp}`;
        await until(`${who} healthy`, () => healthy(url));
        const members = await memberList(url);
        assert.equal(members.length, 1, who);
        assert.equal(members[0]!.name, 'walker', who);
        assert.deepEqual(members[0]!.peerURLs, [`http://localhost:${pp}`], who);
        assert.deepEqual(members[0]!.clientURLs, [`http://localhost:${cp}`], who);
        assert.ok(fs.existsSync(path.join(dir, 'state', 'member')), `${who}: the data dir is used`);
        assert.ok(await tcpOpen(pp), `${who}: the peer listener is up`);
        const big = await runEtcdctl(url, ['put', 'k', 'x'.repeat(3000)]);
        assert.match(big.stderr, /etcdserver: request is too large/, who);
        assert.equal((await runEtcdctl(url, ['put', 'k', 'x'.repeat(1000)])).code, 0, who);
      } finally {
        await s.stop();
      }
    });
  },
);

test(
  'a two-member --initial-cluster: one member alone has no quorum; with the other one both serve and list each other, as in etcd',
  { timeout: 180_000 },
  async () => {
    await eachServer(async (who, bin, pre, dir) => {
      const ports: Record<'a' | 'b', [number, number]> = {
        a: [await freePort(), await freePort()],
        b: [await freePort(), await freePort()],
      };
      const cluster = `a=http://127.0.0.1:${ports.a[1]},b=http://127.0.0.1:${ports.b[1]}`;
      const member = (name: 'a' | 'b'): Started => {
        const [cp, pp] = ports[name];
        return start(bin, [...pre, ...memberFlags(name, path.join(dir, name), cp, pp, cluster)]);
      };
      const a = member('a');
      let b: Started | undefined;
      try {
        const url = `http://127.0.0.1:${ports.a[0]}`;
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal(await healthy(url), false, `${who}: a alone has no quorum`);
        b = member('b');
        await until(`${who}: a healthy once b runs`, () => healthy(url));
        await until(`${who}: both published`, async () => (await memberList(url)).every((m) => m.name !== undefined && m.name !== ''));
        const members = await memberList(url);
        assert.deepEqual(members.map((m) => `${m.name}=${m.peerURLs?.join(',')}`).sort(), cluster.split(','), who);
      } finally {
        await b?.stop();
        await a.stop();
      }
    });
  },
);

test(
  '--initial-cluster-state existing: a new member asks the peers of --initial-cluster and, none answering, fails as etcd',
  { timeout: 120_000 },
  async () => {
    const errors: unknown[] = [];
    await eachServer(async (who, bin, pre, dir) => {
      const [cp, pp, other] = [await freePort(), await freePort(), await freePort()];
      const child = spawn(
        bin,
        [
          ...pre,
          ...memberFlags('a', path.join(dir, 'a'), cp, pp, `a=http://127.0.0.1:${pp},b=http://127.0.0.1:${other}`),
          '--initial-cluster-state=existing',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      const r = await waitForChild(child, 60_000);
      assert.equal(r.code, 1, `${who} exits 1`);
      const fatal = r.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((o) => o['level'] === 'fatal');
      assert.equal(fatal?.['msg'], 'discovery failed', `${who}: ${r.stderr.slice(-400)}`);
      errors.push(fatal?.['error']);
    });
    assert.equal(errors[1], errors[0]);
  },
);
