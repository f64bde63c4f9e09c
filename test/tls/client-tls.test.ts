/**
 * TLS on the client URLs, side by side with etcd 3.6 on the same certificates (made by the test):
 * etcdctl 3.6 over https (put, get, watch, lease keep-alive, member list) and /health; mutual
 * TLS (--client-cert-auth / --trusted-ca-file) refusing no certificate, another CA's and an
 * expired one as etcd refuses them; etcd's errors for a bad setup; and a renewed certificate
 * served to new connections while an open watch keeps working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { spawn } from 'node:child_process';
import { type CertFiles, makeCertFiles } from '../helpers/certs';
import { etcdTsBin, runEtcdTs } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { goTestFailures, run, runEtcdctl, runGoTest, toolPath, waitForChild, startError } from '../helpers/tools';
import { makeCert } from '../../src/server/tls/x509';

const SERVERS: Array<[string, () => [string, string[]]]> = [
  ['etcd', () => [toolPath('etcd'), []]],
  ['etcd-ts', () => [process.execPath, [etcdTsBin()]]],
];

interface Started {
  url: string;
  dataDir: string;
  stop(): Promise<string>;
}

async function startTls(binary: [string, string[]], extra: string[]): Promise<Started> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-tls-'));
  const [cp, pp] = [await freePort(), await freePort()];
  const url = `https://127.0.0.1:${cp}`;
  const args = [
    ...binary[1],
    '--name=tls',
    `--data-dir=${path.join(dir, 'data')}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=http://127.0.0.1:${pp}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
    `--initial-cluster=tls=http://127.0.0.1:${pp}`,
    ...extra,
  ];
  const child = spawn(binary[0], args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const done = waitForChild(child, 300_000);
  return {
    url,
    dataDir: path.join(dir, 'data'),
    async stop() {
      child.kill('SIGTERM');
      const r = await done;
      fs.rmSync(dir, { recursive: true, force: true });
      return r.stderr;
    },
  };
}

interface Identity {
  cert?: string;
  key?: string;
}

function httpsGet(url: string, ca: string, id: Identity = {}): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      {
        ca: fs.readFileSync(ca),
        ...(id.cert !== undefined ? { cert: fs.readFileSync(id.cert), key: fs.readFileSync(id.key!) } : {}),
        timeout: 3000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ error: e.message }));
  });
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until GET /health over https answers 200 (with `id` as client certificate). */
function untilHealthy(what: string, url: string, ca: string, id: Identity = {}): Promise<void> {
  return until(what, async () => {
    const r = await httpsGet(`${url}/health`, ca, id);
    return 'status' in r && r.status === 200;
  });
}

function ctl(s: Started, certs: CertFiles, args: string[], id: Identity = {}): ReturnType<typeof runEtcdctl> {
  const auth = id.cert !== undefined ? [`--cert=${id.cert}`, `--key=${id.key!}`] : [];
  return runEtcdctl(s.url, [`--cacert=${certs.ca}`, ...auth, '--dial-timeout=2s', '--command-timeout=3s', ...args], { timeoutMs: 20_000 });
}

/** etcdctl's own error line (the client library's JSON log lines dropped). */
function errorLine(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('{'))
    .join('\n');
}

test('client TLS: etcdctl 3.6 and /health over https, as against etcd', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const outputs: string[][] = [];
  for (const [who, bin] of SERVERS) {
    const s = await startTls(bin(), [`--cert-file=${certs.serverCert}`, `--key-file=${certs.serverKey}`]);
    try {
      await untilHealthy(`${who} healthy over https`, s.url, certs.ca);
      const out: string[] = [];
      const ok = async (args: string[]): Promise<string> => {
        const r = await ctl(s, certs, args);
        assert.equal(r.code, 0, `${who} ${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const watch = run(toolPath('etcdctl'), [`--endpoints=${s.url}`, `--cacert=${certs.ca}`, 'watch', 'k'], { timeoutMs: 4000 });
      await new Promise((r) => setTimeout(r, 1000));
      out.push(await ok(['put', 'k', 'v1']));
      out.push(await ok(['get', 'k']));
      const lease = /lease ([0-9a-f]+) granted/.exec(await ok(['lease', 'grant', '60']))?.[1];
      assert.ok(lease !== undefined, who);
      await ok(['put', '--lease', lease, 'leased', 'x']);
      assert.match(await ok(['lease', 'keep-alive', '--once', lease]), new RegExp(`lease ${lease} keepalived with TTL\\(60\\)`), who);
      assert.match(await ok(['member', 'list']), /, started, tls, http:\/\/127\.0\.0\.1:\d+, https:\/\/127\.0\.0\.1:\d+, false/, who);
      out.push((await watch).stdout);
      outputs.push(out);
    } finally {
      await s.stop();
    }
  }
  assert.deepEqual(outputs[1], outputs[0]);
  assert.deepEqual(outputs[0], ['OK\n', 'k\nv1\n', 'PUT\nk\nv1\n']);
});

test(
  'client mTLS: a certificate from the trusted CA is required; none, another CA and expired are refused as etcd refuses them',
  { timeout: 180_000 },
  async () => {
    const certs = await makeCertFiles();
    const seen: Record<string, string>[] = [];
    for (const [who, bin] of SERVERS) {
      const s = await startTls(bin(), [
        `--cert-file=${certs.serverCert}`,
        `--key-file=${certs.serverKey}`,
        `--trusted-ca-file=${certs.ca}`,
        '--client-cert-auth',
      ]);
      const good = { cert: certs.clientCert, key: certs.clientKey };
      const row: Record<string, string> = {};
      try {
        await untilHealthy(`${who} healthy over mTLS`, s.url, certs.ca, good);
        const put = await ctl(s, certs, ['put', 'k', 'v'], good);
        assert.equal(put.code, 0, `${who}: ${put.stderr}`);
        for (const [name, id] of [
          ['no certificate', {}],
          ['another CA', { cert: certs.otherCaClientCert, key: certs.otherCaClientKey }],
          ['expired', { cert: certs.expiredClientCert, key: certs.expiredClientKey }],
        ] as const) {
          const r = await ctl(s, certs, ['get', 'k'], id);
          assert.notEqual(r.code, 0, `${who} refuses ${name}`);
          row[name] = errorLine(r.stderr);
          const h = await httpsGet(`${s.url}/health`, certs.ca, id);
          assert.ok('error' in h, `${who}: /health refuses ${name}`);
        }
      } finally {
        const log = await s.stop();
        if (who === 'etcd-ts') assert.match(log, /"msg":"rejected connection on client endpoint"/);
      }
      seen.push(row);
    }
    assert.deepEqual(seen[1], seen[0]);
  },
);

test("bad client TLS setups: etcd 3.6's error, exit 1, the data dir not created", { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const other = await makeCert({ subject: 'CN=x', notAfter: new Date(Date.now() + 864e5) });
  const otherKey = path.join(certs.dir, 'unrelated-key.pem');
  fs.writeFileSync(otherKey, other.keyPem);
  const cases: string[][] = [
    [],
    [`--cert-file=${path.join(certs.dir, 'missing.pem')}`, `--key-file=${certs.serverKey}`],
    [`--cert-file=${certs.serverCert}`],
    [`--key-file=${certs.serverKey}`],
    [`--cert-file=${certs.serverCert}`, `--key-file=${otherKey}`],
    [`--cert-file=${certs.serverCert}`, `--key-file=${certs.serverKey}`, `--trusted-ca-file=${path.join(certs.dir, 'no-ca.pem')}`],
  ];
  for (const flags of cases) {
    const [port, peerPort] = [await freePort(), await freePort()];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-tls-bad-'));
    const args = (d: string): string[] => [
      `--data-dir=${path.join(dir, d)}`,
      `--listen-client-urls=https://127.0.0.1:${port}`,
      `--advertise-client-urls=https://127.0.0.1:${port}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      ...flags,
    ];
    const etcd = await run(toolPath('etcd'), args('e'), { timeoutMs: 20_000 });
    const ts = await runEtcdTs(args('t'));
    const want = startError(etcd.stderr);
    assert.equal(typeof want, 'string', `etcd refused ${flags.join(' ')}: ${etcd.stderr.slice(-300)}`);
    assert.equal(ts.code, 1, flags.join(' '));
    assert.equal(startError(ts.stderr), want, flags.join(' '));
    assert.equal(fs.existsSync(path.join(dir, 't')), false, 'the data dir is not created');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The serial number of the certificate a new TLS connection is served. */
function servedSerial(url: string, ca: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: fs.readFileSync(ca), ALPNProtocols: ['h2'] }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });
}

test('certificate rotation: new files are served to new connections; an open watch keeps working', { timeout: 120_000 }, async () => {
  const certs = await makeCertFiles();
  const certFile = path.join(certs.dir, 'live.pem');
  const keyFile = path.join(certs.dir, 'live-key.pem');
  fs.copyFileSync(certs.serverCert, certFile);
  fs.copyFileSync(certs.serverKey, keyFile);
  const s = await startTls([process.execPath, [etcdTsBin()]], [`--cert-file=${certFile}`, `--key-file=${keyFile}`]);
  try {
    await untilHealthy('healthy', s.url, certs.ca);
    const before = await servedSerial(s.url, certs.ca);
    const watch = run(toolPath('etcdctl'), [`--endpoints=${s.url}`, `--cacert=${certs.ca}`, 'watch', 'r'], { timeoutMs: 6000 });
    await new Promise((r) => setTimeout(r, 1000));
    // Renew: a new key pair from the same CA, written over the old files.
    const renewed = await makeCertFiles();
    fs.copyFileSync(renewed.serverCert, certFile);
    fs.copyFileSync(renewed.serverKey, keyFile);
    fs.copyFileSync(renewed.ca, certs.ca);
    const after = await servedSerial(s.url, certs.ca);
    assert.notEqual(after, before, 'a new connection gets the new certificate');
    assert.equal((await ctl(s, certs, ['put', 'r', 'after-rotation'])).code, 0);
    assert.match((await watch).stdout, /PUT\nr\nafter-rotation/, 'the watch opened before still gets events');
  } finally {
    const log = await s.stop();
    assert.match(log, /"msg":"reloaded TLS certificate files"/);
  }
});

test(
  'a Go clientv3 program with a tls.Config (mutual TLS): put, get, watch, lease keep-alive, member list, as against etcd',
  { timeout: 180_000 },
  async () => {
    const certs = await makeCertFiles();
    const env = { ETCD_CACERT: certs.ca, ETCD_CERT: certs.clientCert, ETCD_KEY: certs.clientKey };
    Object.assign(process.env, env);
    try {
      for (const [who, bin] of SERVERS) {
        const s = await startTls(bin(), [
          `--cert-file=${certs.serverCert}`,
          `--key-file=${certs.serverKey}`,
          `--trusted-ca-file=${certs.ca}`,
          '--client-cert-auth',
        ]);
        try {
          await untilHealthy(`${who} healthy`, s.url, certs.ca, { cert: certs.clientCert, key: certs.clientKey });
          const r = await runGoTest('tlsclient.test', s.url);
          assert.equal(r.code, 0, `${who}:\n${goTestFailures(r.output)}`);
        } finally {
          await s.stop();
        }
      }
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  },
);

/** Whether a handshake with these client options succeeds, and the version it got. */
function handshake(url: string, ca: string, o: tls.ConnectionOptions): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), ca: fs.readFileSync(ca), ALPNProtocols: ['h2'], ...o }, () => {
      resolve(`ok ${s.getProtocol() ?? ''}`);
      s.end();
    });
    s.on('error', () => resolve('refused'));
  });
}

test(
  '--tls-min-version, --tls-max-version, --cipher-suites: the same handshakes succeed and fail as against etcd',
  { timeout: 180_000 },
  async () => {
    const certs = await makeCertFiles();
    const setups: Array<[string[], Array<[string, tls.ConnectionOptions]>]> = [
      [
        ['--tls-min-version=TLS1.3'],
        [
          ['default', {}],
          ['TLS1.2 only', { maxVersion: 'TLSv1.2' }],
        ],
      ],
      [
        ['--tls-max-version=TLS1.2'],
        [
          ['default', {}],
          ['TLS1.3 only', { minVersion: 'TLSv1.3' }],
        ],
      ],
      [
        ['--tls-max-version=TLS1.2', '--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
        [
          ['the allowed suite', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }],
          ['another suite', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }],
        ],
      ],
    ];
    const outcomes: Record<string, string>[] = [];
    for (const [who, bin] of SERVERS) {
      const row: Record<string, string> = {};
      for (const [flags, probes] of setups) {
        const s = await startTls(bin(), [`--cert-file=${certs.serverCert}`, `--key-file=${certs.serverKey}`, ...flags]);
        try {
          await untilHealthy(`${who} healthy`, s.url, certs.ca);
          for (const [name, o] of probes) row[`${flags.join(' ')}: ${name}`] = await handshake(s.url, certs.ca, o);
        } finally {
          await s.stop();
        }
      }
      outcomes.push(row);
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    assert.deepEqual(Object.values(outcomes[0]!), ['ok TLSv1.3', 'refused', 'ok TLSv1.2', 'refused', 'ok TLSv1.2', 'refused']);
  },
);

test("bad TLS version and cipher flags: etcd 3.6's error, exit 1", { timeout: 120_000 }, async () => {
  const cases = [
    ['--tls-min-version=TLS1.1'],
    ['--tls-max-version=SSL3'],
    ['--tls-min-version=TLS1.3', '--tls-max-version=TLS1.2'],
    ['--tls-min-version=TLS1.3', '--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
    ['--cipher-suites=TLS_NOT_A_SUITE'],
  ];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-flags-'));
  try {
    for (const flags of cases) {
      const args = async (d: string): Promise<string[]> => {
        const [cp, pp] = [await freePort(), await freePort()];
        return [
          `--data-dir=${path.join(root, d)}`,
          `--listen-client-urls=http://127.0.0.1:${cp}`,
          `--advertise-client-urls=http://127.0.0.1:${cp}`,
          `--listen-peer-urls=http://127.0.0.1:${pp}`,
          ...flags,
        ];
      };
      const etcd = await run(toolPath('etcd'), await args('e'), { timeoutMs: 20_000 });
      const ts = await runEtcdTs(await args('t'));
      assert.equal(typeof startError(etcd.stderr), 'string', `etcd refused ${flags.join(' ')}: ${etcd.stderr.slice(-300)}`);
      assert.equal(ts.code, 1, flags.join(' '));
      assert.equal(startError(ts.stderr), startError(etcd.stderr), flags.join(' '));
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('--client-crl-file: a revoked client certificate is refused, others are served, as by etcd', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const outcomes: string[][] = [];
  for (const [who, bin] of SERVERS) {
    const s = await startTls(bin(), [
      `--cert-file=${certs.serverCert}`,
      `--key-file=${certs.serverKey}`,
      `--trusted-ca-file=${certs.ca}`,
      '--client-cert-auth',
      `--client-crl-file=${certs.crl}`,
    ]);
    const good = { cert: certs.clientCert, key: certs.clientKey };
    const revoked = { cert: certs.revokedClientCert, key: certs.revokedClientKey };
    let log = '';
    try {
      await untilHealthy(`${who} healthy`, s.url, certs.ca, good);
      outcomes.push([
        String((await ctl(s, certs, ['put', 'k', 'v'], good)).code),
        String((await ctl(s, certs, ['get', 'k'], revoked)).code === 0),
        'error' in (await httpsGet(`${s.url}/health`, certs.ca, revoked)) ? 'refused' : 'served',
      ]);
    } finally {
      log = await s.stop();
    }
    if (who === 'etcd-ts') assert.match(log, /"error":"transport: certificate serial [0-9a-f]+ revoked"/);
  }
  assert.deepEqual(outcomes[1], outcomes[0]);
  assert.deepEqual(outcomes[0], ['0', 'false', 'refused']);
});
