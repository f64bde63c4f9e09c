/**
 * TLS between members (certificates made by the test): three members with https peer URLs,
 * --peer-cert-file/--peer-key-file/--peer-trusted-ca-file/--peer-client-cert-auth and client TLS
 * form a cluster, serve through any member and fail over when the leader is killed; a member
 * whose certificate comes from another CA is refused, and the refusal is logged on both sides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { type CertFiles, makeCertFiles } from '../helpers/certs';
import { etcdTsBin } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { runEtcdctl, waitForChild, type ChildResult } from '../helpers/tools';

interface Node {
  name: string;
  clientUrl: string;
  peerUrl: string;
  child?: ChildProcess;
  done?: Promise<ChildResult>;
}

async function nodes(n: number): Promise<Node[]> {
  const out: Node[] = [];
  for (let i = 1; i <= n; i++) {
    out.push({
      name: `tls-${i}`,
      clientUrl: `https://127.0.0.1:${await freePort()}`,
      peerUrl: `https://127.0.0.1:${await freePort()}`,
    });
  }
  return out;
}

function start(
  node: Node,
  all: Node[],
  dir: string,
  peer: { cert: string; key: string },
  certs: CertFiles,
  extra: string[] = [],
  state: 'new' | 'existing' = 'new',
): void {
  const args = [
    etcdTsBin(),
    `--name=${node.name}`,
    `--data-dir=${path.join(dir, node.name)}`,
    `--listen-client-urls=${node.clientUrl}`,
    `--advertise-client-urls=${node.clientUrl}`,
    `--listen-peer-urls=${node.peerUrl}`,
    `--initial-advertise-peer-urls=${node.peerUrl}`,
    `--initial-cluster=${all.map((m) => `${m.name}=${m.peerUrl}`).join(',')}`,
    '--initial-cluster-token=tls-cluster',
    `--initial-cluster-state=${state}`,
    `--cert-file=${certs.serverCert}`,
    `--key-file=${certs.serverKey}`,
    `--peer-cert-file=${peer.cert}`,
    `--peer-key-file=${peer.key}`,
    `--peer-trusted-ca-file=${certs.ca}`,
    '--peer-client-cert-auth',
    ...extra,
  ];
  node.child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  node.done = waitForChild(node.child, 600_000);
}

async function stopAll(all: Node[]): Promise<Map<string, string>> {
  const logs = new Map<string, string>();
  for (const m of all) {
    if (m.child === undefined || m.done === undefined) continue;
    if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGTERM');
    logs.set(m.name, (await m.done).stderr);
  }
  return logs;
}

function ctl(certs: CertFiles, endpoints: string, args: string[]): ReturnType<typeof runEtcdctl> {
  return runEtcdctl(endpoints, [`--cacert=${certs.ca}`, '--dial-timeout=2s', '--command-timeout=5s', ...args], { timeoutMs: 20_000 });
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('three members over peer TLS: the cluster forms, serves through any member and fails over', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-tls-'));
  const all = await nodes(3);
  const peer = { cert: certs.serverCert, key: certs.serverKey };
  try {
    for (const m of all) start(m, all, dir, peer, certs);
    const endpoints = all.map((m) => m.clientUrl).join(',');
    await until('three healthy members', async () => (await ctl(certs, endpoints, ['endpoint', 'health'])).code === 0);
    const list = await ctl(certs, all[0]!.clientUrl, ['member', 'list']);
    for (const m of all) assert.match(list.stdout, new RegExp(`, started, ${m.name}, ${m.peerUrl}, ${m.clientUrl}, false`));
    assert.equal((await ctl(certs, all[0]!.clientUrl, ['put', 'k', 'over-tls'])).code, 0);
    assert.match((await ctl(certs, all[2]!.clientUrl, ['get', 'k'])).stdout, /over-tls/);
    // Kill the leader: the other two elect a new one over TLS and take writes.
    const status = await ctl(certs, endpoints, ['endpoint', 'status', '-w', 'json']);
    const rows = JSON.parse(status.stdout.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"')) as Array<{
      Endpoint: string;
      Status: { header: { member_id: string }; leader: string };
    }>;
    const leader = rows.find((r) => r.Status.header.member_id === r.Status.leader)!;
    const victim = all.find((m) => m.clientUrl === leader.Endpoint)!;
    victim.child!.kill('SIGKILL');
    await victim.done;
    const rest = all
      .filter((m) => m !== victim)
      .map((m) => m.clientUrl)
      .join(',');
    await until('writes after the leader died', async () => (await ctl(certs, rest, ['put', 'k2', 'after-failover'])).code === 0);
    assert.match((await ctl(certs, rest, ['get', 'k2'])).stdout, /after-failover/);
  } finally {
    await stopAll(all);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
  }
});

test('a member with a certificate from another CA is refused, and both sides log it', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-tls-'));
  const all = await nodes(3);
  try {
    start(all[0]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs);
    start(all[1]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs);
    start(all[2]!, all, dir, { cert: certs.otherCaClientCert, key: certs.otherCaClientKey }, certs);
    const good = `${all[0]!.clientUrl},${all[1]!.clientUrl}`;
    await until('the two trusted members serve', async () => (await ctl(certs, good, ['put', 'k', 'v'])).code === 0);
    await new Promise((r) => setTimeout(r, 2000));
    const list = await ctl(certs, all[0]!.clientUrl, ['member', 'list']);
    // Listed from --initial-cluster, but never published: no client URLs.
    assert.match(list.stdout, new RegExp(`, tls-3, ${all[2]!.peerUrl}, , false`), 'the stranger never joins');
  } finally {
    const logs = await stopAll(all);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
    const trusted = logs.get('tls-1') ?? '';
    const stranger = logs.get('tls-3') ?? '';
    assert.match(trusted, /"msg":"rejected connection on peer endpoint"/, 'the trusted member logs the refusal');
    assert.match(
      stranger,
      /"level":"warn".*"msg":"peer stream connect failed"|"msg":"rejected connection on peer endpoint"/,
      'the stranger logs it',
    );
  }
});

test('--peer-cert-allowed-cn: a member whose certificate has another common name is refused', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-tls-'));
  const all = await nodes(3);
  const allowed = ['--peer-cert-allowed-cn=etcd-server'];
  try {
    start(all[0]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs, allowed);
    start(all[1]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs, allowed);
    start(all[2]!, all, dir, { cert: certs.intruderCert, key: certs.intruderKey }, certs, allowed);
    const good = `${all[0]!.clientUrl},${all[1]!.clientUrl}`;
    await until('the two allowed members serve', async () => (await ctl(certs, good, ['put', 'k', 'v'])).code === 0);
    await new Promise((r) => setTimeout(r, 2000));
    const list = await ctl(certs, all[0]!.clientUrl, ['member', 'list']);
    assert.match(list.stdout, new RegExp(`, tls-3, ${all[2]!.peerUrl}, , false`), 'the intruder never joins');
  } finally {
    const logs = await stopAll(all);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
    // The allowed members refuse the intruder's connections and its certificate when they dial it;
    // the intruder sees its handshakes cut.
    const trusted = logs.get('tls-1') ?? '';
    assert.match(trusted, /"error":"client certificate authentication failed".*"msg":"rejected connection on peer endpoint"/);
    assert.match(trusted, /"level":"warn".*client certificate authentication failed.*"msg":"peer stream connect failed"/);
    assert.match(logs.get('tls-3') ?? '', /"msg":"rejected connection on peer endpoint"/);
  }
});

test('a fourth TLS member added with member add catches up by snapshot over peer TLS', { timeout: 240_000 }, async () => {
  const certs = await makeCertFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-tls-'));
  const all = await nodes(4);
  const first = all.slice(0, 3);
  const peer = { cert: certs.serverCert, key: certs.serverKey };
  const small = ['--snapshot-count=100', '--snapshot-catchup-entries=10'];
  try {
    for (const m of first) start(m, first, dir, peer, certs, small);
    const endpoints = first.map((m) => m.clientUrl).join(',');
    await until('three healthy members', async () => (await ctl(certs, endpoints, ['endpoint', 'health'])).code === 0);
    // More entries than --snapshot-count: the log the new member needs is compacted away.
    for (let i = 0; i < 160; i += 10) {
      const puts = Array.from({ length: 10 }, (_, j) => ctl(certs, all[(i / 10) % 3]!.clientUrl, ['put', `k${i + j}`, `v${i + j}`]));
      for (const r of await Promise.all(puts)) assert.equal(r.code, 0, r.stderr);
    }
    const newcomer = all[3]!;
    // Strict reconfig: the add is refused until the streams are up for 5 s.
    await until(
      'member add accepted',
      async () => (await ctl(certs, endpoints, ['member', 'add', newcomer.name, `--peer-urls=${newcomer.peerUrl}`])).code === 0,
      30_000,
    );
    start(newcomer, all, dir, peer, certs, small, 'existing');
    await until(
      'the new member serves the data it got by snapshot',
      async () => {
        const r = await ctl(certs, newcomer.clientUrl, ['get', 'k159', '--consistency=s', '--print-value-only']);
        return r.code === 0 && r.stdout.trim() === 'v159';
      },
      60_000,
    );
    const list = (await ctl(certs, all[0]!.clientUrl, ['member', 'list'])).stdout;
    assert.match(list, new RegExp(`, started, ${newcomer.name}, ${newcomer.peerUrl}, ${newcomer.clientUrl}, false`));
  } finally {
    const logs = await stopAll(all);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
    assert.match(logs.get('tls-4') ?? '', /"msg":"installing snapshot from leader"/, 'caught up by snapshot');
  }
});

test('--peer-crl-file: a member whose certificate is revoked is refused', { timeout: 180_000 }, async () => {
  const certs = await makeCertFiles();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peer-tls-'));
  const all = await nodes(3);
  const crl = [`--peer-crl-file=${certs.crl}`];
  try {
    start(all[0]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs, crl);
    start(all[1]!, all, dir, { cert: certs.serverCert, key: certs.serverKey }, certs, crl);
    start(all[2]!, all, dir, { cert: certs.revokedClientCert, key: certs.revokedClientKey }, certs, crl);
    const good = `${all[0]!.clientUrl},${all[1]!.clientUrl}`;
    await until('the two members with valid certificates serve', async () => (await ctl(certs, good, ['put', 'k', 'v'])).code === 0);
    await new Promise((r) => setTimeout(r, 2000));
    const list = await ctl(certs, all[0]!.clientUrl, ['member', 'list']);
    assert.match(list.stdout, new RegExp(`, tls-3, ${all[2]!.peerUrl}, , false`), 'the revoked member never joins');
  } finally {
    const logs = await stopAll(all);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(certs.dir, { recursive: true, force: true });
    assert.match(
      logs.get('tls-1') ?? '',
      /"error":"transport: certificate serial [0-9a-f]+ revoked".*"msg":"rejected connection on peer endpoint"/,
    );
  }
});
