/**
 * --listen-client-http-urls and --listen-metrics-urls side by side with etcd 3.6: with HTTP URLs
 * of their own, the client URL serves gRPC only and the HTTP URL every HTTP endpoint but not gRPC;
 * a metrics URL serves /metrics and the health endpoints and nothing else; an https metrics URL
 * without client TLS files and one address in both lists fail the start with etcd's text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { etcdTsBin, healthy, runEtcdTs } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { run, runEtcdctl, toolPath, waitForChild, startError } from '../helpers/tools';

/** The status of GET url, or `closed` when the connection ends without an answer. */
function status(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('closed'));
  });
}

const SERVERS: Array<[string, () => [string, string[]]]> = [
  ['etcd', () => [toolPath('etcd'), []]],
  ['etcd-ts', () => [process.execPath, [etcdTsBin()]]],
];

test('client, client-HTTP and metrics URLs serve what etcd 3.6 serves on each', { timeout: 120_000 }, async () => {
  const rows: Record<string, string>[] = [];
  for (const [who, cmd] of SERVERS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-ports-'));
    const [cp, hp, mp, pp] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [bin, pre] = cmd();
    const child = spawn(
      bin,
      [
        ...pre,
        `--data-dir=${path.join(dir, 'd')}`,
        `--listen-client-urls=http://127.0.0.1:${cp}`,
        `--advertise-client-urls=http://127.0.0.1:${cp}`,
        `--listen-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-cluster=default=http://127.0.0.1:${pp}`,
        `--listen-client-http-urls=http://127.0.0.1:${hp}`,
        `--listen-metrics-urls=http://127.0.0.1:${mp}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const done = waitForChild(child, 120_000);
    try {
      const deadline = Date.now() + 30_000;
      while (!(await healthy(`http://127.0.0.1:${hp}`))) {
        assert.ok(Date.now() < deadline, `${who} healthy on its HTTP URL`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const row: Record<string, string> = {};
      for (const [name, port] of [
        ['client', cp],
        ['client-http', hp],
        ['metrics', mp],
      ] as const) {
        for (const p of ['/health', '/version', '/metrics', '/readyz']) row[`${name} ${p}`] = await status(`http://127.0.0.1:${port}${p}`);
        const put = await runEtcdctl(`127.0.0.1:${port}`, ['--dial-timeout=1s', '--command-timeout=2s', 'put', 'k', 'v'], {
          timeoutMs: 10_000,
        });
        row[`${name} gRPC`] = put.code === 0 ? 'ok' : 'fails';
      }
      rows.push(row);
    } finally {
      child.kill('SIGTERM');
      await done;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  assert.deepEqual(rows[1], rows[0]);
  assert.equal(rows[0]!['client gRPC'], 'ok');
  assert.equal(rows[0]!['metrics /version'], '404');
});

test("bad client port setups: etcd 3.6's error, exit 1", { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'client-ports-'));
  try {
    for (const kind of ['https metrics', 'same url']) {
      // The same ports for both servers (each exits at once), so that the texts compare.
      const [cp, pp, mp] = [await freePort(), await freePort(), await freePort()];
      const args = (d: string): string[] => {
        return [
          `--data-dir=${path.join(root, d)}`,
          `--listen-client-urls=http://127.0.0.1:${cp}`,
          `--advertise-client-urls=http://127.0.0.1:${cp}`,
          `--listen-peer-urls=http://127.0.0.1:${pp}`,
          kind === 'same url' ? `--listen-client-http-urls=http://127.0.0.1:${cp}` : `--listen-metrics-urls=https://127.0.0.1:${mp}`,
        ];
      };
      const etcd = await run(toolPath('etcd'), args(`e-${kind}`), { timeoutMs: 20_000 });
      const ts = await runEtcdTs(args(`t-${kind}`));
      assert.equal(typeof startError(etcd.stderr), 'string', `${kind}: ${etcd.stderr.slice(-300)}`);
      assert.equal(ts.code, 1, kind);
      assert.equal(startError(ts.stderr), startError(etcd.stderr), kind);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
