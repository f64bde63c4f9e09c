/**
 * --config-file side by side with a real etcd 3.6: the same YAML file starts a member with the
 * file's name, URLs and timings while a conflicting flag and environment variable (fatal without a
 * file) are ignored; and the same malformed files fail with the same error text and exit 1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcessMember, runEtcdTs } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { run, runEtcdctl, toolPath } from '../helpers/tools';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-file-'));

async function memberFromFile(binary: string | undefined): Promise<{ name: string; peerURLs: string[]; clientURLs: string[] }> {
  const clientPort = await freePort();
  const peerPort = await freePort();
  const dataDir = fs.mkdtempSync(path.join(dir, 'data-'));
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const file = path.join(dir, `member-${clientPort}.yaml`);
  fs.writeFileSync(
    file,
    [
      'name: cfg-member',
      `data-dir: ${dataDir}`,
      `listen-client-urls: ${client}`,
      `advertise-client-urls: ${client}`,
      `listen-peer-urls: ${peer}`,
      `initial-advertise-peer-urls: ${peer}`,
      `initial-cluster: cfg-member=${peer}`,
      'initial-cluster-state: new',
      'initial-cluster-token: cfg-token',
      'heartbeat-interval: 50',
      'election-timeout: 500',
      'auto-compaction-mode: periodic',
      'auto-compaction-retention: "1h"',
      'log-level: warn',
      'pre-vote: yes',
      'log-outputs: [stderr]',
      '',
    ].join('\n'),
  );
  const m = await startProcessMember({
    ...(binary !== undefined ? { binary: toolPath(binary) } : {}),
    clientPort,
    peerPort,
    dataDir,
    // Without the file, a flag and its variable both set is fatal; with it, both are ignored.
    extraArgs: ['--config-file', file, '--name', 'from-flag'],
    env: { ETCD_NAME: 'from-env' },
  });
  try {
    const r = await runEtcdctl(m.clientUrl, ['member', 'list', '-w', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const members = (JSON.parse(r.stdout) as { members: { name: string; peerURLs: string[]; clientURLs: string[] }[] }).members;
    assert.equal(members.length, 1);
    const { name, peerURLs, clientURLs } = members[0]!;
    return {
      name,
      peerURLs: peerURLs.map((u) => u.replace(String(peerPort), 'PEER')),
      clientURLs: clientURLs.map((u) => u.replace(String(clientPort), 'CLIENT')),
    };
  } finally {
    await m.stop();
  }
}

test('a member started from a YAML file: the file wins over flags and environment, as in etcd 3.6', { timeout: 120_000 }, async () => {
  const etcd = await memberFromFile('etcd');
  const ts = await memberFromFile(undefined);
  assert.deepEqual(etcd, { name: 'cfg-member', peerURLs: ['http://127.0.0.1:PEER'], clientURLs: ['http://127.0.0.1:CLIENT'] });
  assert.deepEqual(ts, etcd);
});

const BAD_FILES = [
  'snapshot-count: abc',
  'heartbeat-interval: -5',
  'name: 123',
  'auto-compaction-retention: 1',
  'log-outputs: stderr',
  'watch-progress-notify-interval: 5s',
  'snapshot-count: 1.5',
  'pre-vote: "true"',
  'listen-client-urls: 5',
  'client-transport-security: 5',
  'client-transport-security:\n  cert-file: 5',
  'client-transport-security:\n  client-cert-auth: "yes"',
  'peer-transport-security:\n  allowed-cn: cn',
  '- a',
];

function verifyError(stderr: string): string | undefined {
  for (const l of stderr.split('\n')) {
    if (!l.startsWith('{')) continue;
    const o = JSON.parse(l) as Record<string, unknown>;
    if (o['msg'] === 'failed to verify flags') return String(o['error']);
  }
  return undefined;
}

test('malformed config files: the same error as etcd 3.6, exit 1', { timeout: 120_000 }, async () => {
  for (const [i, text] of BAD_FILES.entries()) {
    const file = path.join(dir, `bad-${i}.yaml`);
    const dataDir = path.join(dir, `bad-data-${i}`);
    // A top-level sequence is its own file; the others follow a name and a data dir.
    fs.writeFileSync(file, text.startsWith('- ') ? `${text}\n` : `name: bad\ndata-dir: ${dataDir}\n${text}\n`);
    const etcd = await run(toolPath('etcd'), ['--config-file', file], { timeoutMs: 20_000 });
    const ts = await runEtcdTs(['--config-file', file]);
    assert.equal(etcd.code, 1, `etcd on ${text}: ${etcd.stderr}`);
    assert.equal(ts.code, 1, `etcd-ts on ${text}: ${ts.stderr}`);
    const want = verifyError(etcd.stderr);
    assert.ok(want !== undefined, etcd.stderr);
    assert.equal(verifyError(ts.stderr), want, text);
    assert.equal(fs.existsSync(dataDir), false, 'the data dir is not created');
  }
  const missing = path.join(dir, 'missing.yaml');
  const etcd = await run(toolPath('etcd'), ['--config-file', missing], { timeoutMs: 20_000 });
  const ts = await runEtcdTs(['--config-file', missing]);
  assert.equal(verifyError(ts.stderr), verifyError(etcd.stderr));
});
