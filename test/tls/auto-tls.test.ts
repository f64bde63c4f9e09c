/**
 * Auto-TLS as etcd 3.6 makes it: --auto-tls and --peer-auto-tls write a self-signed certificate
 * into <data-dir>/fixtures/{client,peer} with the same subject, key type, constraints, usages,
 * addresses and --self-signed-cert-validity as etcd's (compared with a real etcd's files), reuse
 * it on restart, serve etcdctl with --insecure-skip-tls-verify, and let three members form a
 * cluster over peer auto-TLS and fail over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { etcdTsBin, runEtcdTs } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { run, runEtcdctl, toolPath, waitForChild, type ChildResult, startError } from '../helpers/tools';

const YEAR_MS = 365 * 24 * 3600 * 1000;

interface Member {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  child?: ChildProcess;
  done?: Promise<ChildResult>;
}

function start(bin: [string, string[]], m: Member, cluster: string, extra: string[] = []): void {
  m.child = spawn(
    bin[0],
    [
      ...bin[1],
      `--name=${m.name}`,
      `--data-dir=${m.dataDir}`,
      `--listen-client-urls=${m.clientUrl}`,
      `--advertise-client-urls=${m.clientUrl}`,
      `--listen-peer-urls=${m.peerUrl}`,
      `--initial-advertise-peer-urls=${m.peerUrl}`,
      `--initial-cluster=${cluster}`,
      '--auto-tls',
      '--peer-auto-tls',
      ...extra,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  m.done = waitForChild(m.child, 600_000);
}

async function stop(m: Member): Promise<void> {
  if (m.child !== undefined && m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM');
  await m.done;
}

function ctl(endpoints: string, args: string[]): ReturnType<typeof runEtcdctl> {
  return runEtcdctl(endpoints, ['--insecure-skip-tls-verify', '--dial-timeout=2s', '--command-timeout=5s', ...args], { timeoutMs: 20_000 });
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function member(name: string, root: string): Promise<Member> {
  return {
    name,
    clientUrl: `https://127.0.0.1:${await freePort()}`,
    peerUrl: `https://127.0.0.1:${await freePort()}`,
    dataDir: path.join(root, name),
  };
}

/** What is compared between etcd's and etcd-ts's self-signed certificates. */
function describe(file: string): Record<string, unknown> {
  const c = new X509Certificate(fs.readFileSync(file));
  const validityYears = Math.round((Date.parse(c.validTo) - Date.parse(c.validFrom)) / YEAR_MS);
  return {
    subject: c.subject,
    issuer: c.issuer,
    ca: c.ca,
    san: c.subjectAltName,
    extendedKeyUsage: c.keyUsage,
    curve: c.publicKey.asymmetricKeyDetails?.namedCurve,
    validityYears,
  };
}

test(
  "--auto-tls / --peer-auto-tls: etcd's self-signed certificates in fixtures/, reused on restart; etcdctl over https",
  { timeout: 180_000 },
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-tls-'));
    const described: Record<string, unknown>[] = [];
    try {
      const servers: Array<[string, [string, string[]]]> = [
        ['etcd', [toolPath('etcd'), []]],
        ['etcd-ts', [process.execPath, [etcdTsBin()]]],
      ];
      for (const [who, bin] of servers) {
        const m = await member(who, root);
        const cluster = `${m.name}=${m.peerUrl}`;
        start(bin, m, cluster, ['--self-signed-cert-validity=2']);
        await until(`${who} serves over auto-TLS`, async () => (await ctl(m.clientUrl, ['put', 'k', 'v'])).code === 0);
        assert.match((await ctl(m.clientUrl, ['get', 'k'])).stdout, /^k\nv\n$/, who);
        const client = path.join(m.dataDir, 'fixtures', 'client', 'cert.pem');
        const peer = path.join(m.dataDir, 'fixtures', 'peer', 'cert.pem');
        for (const f of [client, peer, path.join(m.dataDir, 'fixtures', 'client', 'key.pem')]) assert.ok(fs.existsSync(f), `${who}: ${f}`);
        described.push({ client: describe(client), peer: describe(peer) });
        const before = fs.readFileSync(client, 'utf8');
        await stop(m);
        // A restart reuses the files.
        start(bin, m, cluster, ['--self-signed-cert-validity=2']);
        await until(`${who} serves again`, async () => (await ctl(m.clientUrl, ['get', 'k'])).code === 0);
        assert.equal(fs.readFileSync(client, 'utf8'), before, `${who}: the certificate is reused`);
        await stop(m);
      }
      assert.deepEqual(described[1], described[0]);
      assert.equal((described[0] as { client: { validityYears: number } }).client.validityYears, 2);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);

test("--self-signed-cert-validity=0: etcd's error, exit 1", { timeout: 60_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-tls-'));
  const args = (d: string, port: number, peerPort: number): string[] => [
    `--data-dir=${path.join(root, d)}`,
    `--listen-client-urls=https://127.0.0.1:${port}`,
    `--advertise-client-urls=https://127.0.0.1:${port}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    '--auto-tls',
    '--self-signed-cert-validity=0',
  ];
  const etcd = await run(toolPath('etcd'), args('e', await freePort(), await freePort()), { timeoutMs: 20_000 });
  const ts = await runEtcdTs(args('t', await freePort(), await freePort()));
  assert.equal(ts.code, 1);
  assert.equal(startError(ts.stderr), startError(etcd.stderr));
  assert.equal(typeof startError(etcd.stderr), 'string');
  fs.rmSync(root, { recursive: true, force: true });
});

test('three members over peer auto-TLS: the cluster forms and fails over', { timeout: 180_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'auto-tls-'));
  const all = [await member('auto-1', root), await member('auto-2', root), await member('auto-3', root)];
  const cluster = all.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const bin: [string, string[]] = [process.execPath, [etcdTsBin()]];
  try {
    for (const m of all) start(bin, m, cluster);
    const endpoints = all.map((m) => m.clientUrl).join(',');
    await until('three healthy members', async () => (await ctl(endpoints, ['endpoint', 'health'])).code === 0);
    const list = (await ctl(all[0]!.clientUrl, ['member', 'list'])).stdout;
    for (const m of all) assert.match(list, new RegExp(`, started, ${m.name}, ${m.peerUrl}, ${m.clientUrl}, false`));
    const victim = all[0]!;
    victim.child!.kill('SIGKILL');
    await victim.done;
    const rest = all
      .slice(1)
      .map((m) => m.clientUrl)
      .join(',');
    await until('writes with one member down', async () => (await ctl(rest, ['put', 'k', 'after'])).code === 0);
  } finally {
    for (const m of all) await stop(m);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
