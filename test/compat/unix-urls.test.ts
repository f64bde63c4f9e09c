/**
 * `unix://` and `unixs://` client URLs side by side with etcd 3.6: the socket files etcd binds
 * (`unix://localhost:<n>` is the file `localhost:<n>` in the working directory, `unix:///abs/path`
 * the absolute path; a file already there is replaced), etcdctl 3.6 over `--endpoints unix://...`,
 * HTTP (/health, the JSON gateway, a metrics URL) over the socket, TLS with the client certificate
 * files on a `unixs://` URL, the socket files gone after a clean stop, and etcd's errors for a
 * socket it cannot bind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { makeCertFiles } from '../helpers/certs';
import { etcdTsBin, runEtcdTs } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { run, startError, toolPath, waitForChild, type RunResult } from '../helpers/tools';

const SERVERS: Array<[string, () => [string, string[]]]> = [
  ['etcd', () => [toolPath('etcd'), []]],
  ['etcd-ts', () => [process.execPath, [etcdTsBin()]]],
];

interface Answer {
  status: number;
  body: string;
}

/** An HTTP(S) request over a unix socket; `closed` when the connection ends without an answer. */
function overSocket(socketPath: string, urlPath: string, opts: { body?: string; ca?: string } = {}): Promise<Answer | 'closed'> {
  return new Promise((resolve) => {
    const common = {
      socketPath,
      path: urlPath,
      method: opts.body === undefined ? 'GET' : 'POST',
      timeout: 3000,
    };
    const onResponse = (res: http.IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve('closed'));
    };
    const req =
      opts.ca === undefined
        ? http.request(common, onResponse)
        : https.request({ ...common, ca: fs.readFileSync(opts.ca), servername: 'localhost' }, onResponse);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve('closed'));
    req.end(opts.body);
  });
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** etcdctl 3.6 run in `cwd` (a relative unix endpoint is relative to it), without ETCDCTL_* variables. */
function etcdctl(cwd: string, endpoint: string, args: string[]): Promise<RunResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ETCDCTL_')) env[k] = v;
  return run(toolPath('etcdctl'), [`--endpoints=${endpoint}`, '--dial-timeout=2s', '--command-timeout=3s', ...args], {
    cwd,
    env,
    replaceEnv: true,
    timeoutMs: 20_000,
  });
}

interface Started {
  dir: string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM, waits for the exit and resolves with stderr; the temp dir stays until cleanup(). */
  stop(): Promise<string>;
  cleanup(): void;
}

/** Starts a single member in a fresh temp dir (its working directory) with the peer URL on a free port. */
async function start(binary: [string, string[]], dir: string, flags: (pp: number) => string[]): Promise<Started> {
  const pp = await freePort();
  const child = spawn(
    binary[0],
    [
      ...binary[1],
      `--data-dir=${path.join(dir, 'data')}`,
      `--listen-peer-urls=http://127.0.0.1:${pp}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
      `--initial-cluster=default=http://127.0.0.1:${pp}`,
      ...flags(pp),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const done = waitForChild(child, 300_000);
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    dir,
    exited: () => exited,
    async stop() {
      child.kill('SIGTERM');
      return (await done).stderr;
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `ok`; fails at once (with the server's stderr) if the server exits. */
async function until(s: Started, what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (s.exited()) assert.fail(`${what}: the server exited\n${(await s.stop()).slice(-3000)}`);
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('unix:// client URLs: the socket files, etcdctl 3.6 and HTTP over them, as etcd 3.6', { timeout: 180_000 }, async () => {
  const rows: Record<string, unknown>[] = [];
  for (const [who, bin] of SERVERS) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unix-urls-'));
    const n = await freePort();
    const relative = `localhost:${n}`;
    const absolute = path.join(dir, 'abs.sock');
    const metrics = `localhost:${await freePort()}`;
    // A leftover file where the socket goes (as after a kill -9): etcd removes it and binds.
    fs.writeFileSync(absolute, 'stale');
    const s = await start(bin(), dir, () => [
      `--listen-client-urls=unix://${relative},unix://${absolute}`,
      `--advertise-client-urls=unix://${relative}`,
      // A metrics URL's socket is its host alone (etcd's createMetricsListener).
      `--listen-metrics-urls=unix://${metrics}`,
    ]);
    try {
      await until(s, `${who} healthy over ${absolute}`, async () => {
        const r = await overSocket(absolute, '/health');
        return r !== 'closed' && r.status === 200;
      });
      const row: Record<string, unknown> = {
        'relative socket file': isSocket(path.join(dir, relative)),
        'absolute socket file': isSocket(absolute),
      };
      const put = await etcdctl(dir, `unix://${relative}`, ['put', 'k', 'v']);
      row['put over unix://localhost:n'] = [put.code, put.stdout];
      const get = await etcdctl(dir, `unix://${absolute}`, ['get', 'k']);
      row['get over unix:///abs'] = [get.code, get.stdout];
      const members = await etcdctl(dir, `unix://${relative}`, ['member', 'list']);
      row['member list'] = [
        members.code,
        members.stdout
          .replace(/^[0-9a-f]+,/gm, 'ID,')
          .replace(/127\.0\.0\.1:\d+/g, 'PEER')
          .split(relative)
          .join('localhost:N'),
      ];
      const health = await overSocket(path.join(dir, relative), '/health');
      row['/health over the relative socket'] = health === 'closed' ? health : health.status;
      // The JSON gateway dials the member's first client URL, here a unix socket.
      const range = await overSocket(absolute, '/v3/kv/range', { body: JSON.stringify({ key: Buffer.from('k').toString('base64') }) });
      row['gateway range'] =
        range === 'closed' ? range : [range.status, (JSON.parse(range.body) as { kvs?: Array<{ value: string }> }).kvs?.[0]?.value];
      for (const p of ['/metrics', '/version']) {
        const r = await overSocket(path.join(dir, metrics), p);
        row[`metrics socket ${p}`] = r === 'closed' ? r : r.status;
      }
      await s.stop();
      row['socket files after stop'] = [
        fs.existsSync(path.join(dir, relative)),
        fs.existsSync(absolute),
        fs.existsSync(path.join(dir, metrics)),
      ];
      rows.push(row);
    } finally {
      await s.stop();
      s.cleanup();
    }
  }
  assert.deepEqual(rows[1], rows[0]);
  const { 'member list': members, ...rest } = rows[0]!;
  assert.deepEqual(rest, {
    'relative socket file': true,
    'absolute socket file': true,
    'put over unix://localhost:n': [0, 'OK\n'],
    'get over unix:///abs': [0, 'k\nv\n'],
    '/health over the relative socket': 200,
    'gateway range': [200, Buffer.from('v').toString('base64')],
    'metrics socket /metrics': 200,
    'metrics socket /version': 404,
    'socket files after stop': [false, false, false],
  });
  assert.match((members as [number, string])[1], /^ID, started, default, http:\/\/PEER, unix:\/\/localhost:N, false\n$/);
});

test(
  'unixs:// client URLs: TLS with the client certificate files, etcdctl 3.6 with --cacert, as etcd 3.6',
  { timeout: 180_000 },
  async () => {
    const certs = await makeCertFiles();
    const rows: Record<string, unknown>[] = [];
    try {
      for (const [who, bin] of SERVERS) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unixs-urls-'));
        const endpoint = `unixs://localhost:${await freePort()}`;
        const socket = path.join(dir, endpoint.slice('unixs://'.length));
        const metrics = `localhost:${await freePort()}`;
        const s = await start(bin(), dir, () => [
          `--listen-client-urls=${endpoint}`,
          `--advertise-client-urls=${endpoint}`,
          `--cert-file=${certs.serverCert}`,
          `--key-file=${certs.serverKey}`,
          `--listen-metrics-urls=unixs://${metrics}`,
        ]);
        try {
          await until(s, `${who} healthy over TLS on ${socket}`, async () => {
            const r = await overSocket(socket, '/health', { ca: certs.ca });
            return r !== 'closed' && r.status === 200;
          });
          const row: Record<string, unknown> = { 'socket file': isSocket(socket) };
          const put = await etcdctl(dir, endpoint, [`--cacert=${certs.ca}`, 'put', 'k', 'v']);
          row['put with --cacert'] = [put.code, put.stdout];
          const get = await etcdctl(dir, endpoint, [`--cacert=${certs.ca}`, 'get', 'k']);
          row['get with --cacert'] = [get.code, get.stdout];
          // Without the CA the server's certificate is not trusted: the port serves TLS.
          const untrusted = await etcdctl(dir, endpoint, ['get', 'k']);
          row['get without --cacert'] = untrusted.code === 0 ? 'ok' : 'fails';
          const range = await overSocket(socket, '/v3/kv/range', {
            ca: certs.ca,
            body: JSON.stringify({ key: Buffer.from('k').toString('base64') }),
          });
          row['gateway range over TLS'] =
            range === 'closed' ? range : [range.status, (JSON.parse(range.body) as { kvs?: Array<{ value: string }> }).kvs?.[0]?.value];
          // etcd's metrics listener is a bare transport.NewUnixListener for unixs too: no TLS.
          const plain = await overSocket(path.join(dir, metrics), '/metrics');
          row['unixs metrics URL, plain HTTP'] = plain === 'closed' ? plain : plain.status;
          await s.stop();
          row['socket file after stop'] = fs.existsSync(socket);
          rows.push(row);
        } finally {
          await s.stop();
          s.cleanup();
        }
      }
    } finally {
      fs.rmSync(certs.dir, { recursive: true, force: true });
    }
    assert.deepEqual(rows[1], rows[0]);
    assert.deepEqual(rows[0], {
      'socket file': true,
      'put with --cacert': [0, 'OK\n'],
      'get with --cacert': [0, 'k\nv\n'],
      'get without --cacert': 'fails',
      'gateway range over TLS': [200, Buffer.from('v').toString('base64')],
      'unixs metrics URL, plain HTTP': 200,
      'socket file after stop': false,
    });
  },
);

test("bad unix URL setups: etcd 3.6's error, exit 1", { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'unix-urls-bad-'));
  try {
    const n = await freePort();
    const cases: Array<[string, string[]]> = [
      ['unixs without key pair', [`--listen-client-urls=unixs://localhost:${n}`, `--advertise-client-urls=unixs://localhost:${n}`]],
      [
        'socket in a missing directory',
        [`--listen-client-urls=unix://${root}/missing/etcd.sock`, `--advertise-client-urls=unix://localhost:${n}`],
      ],
      [
        'socket path longer than sun_path',
        [`--listen-client-urls=unix://${root}/${'s'.repeat(110)}.sock`, `--advertise-client-urls=unix://localhost:${n}`],
      ],
      [
        'advertised unix URL without host:port',
        [`--listen-client-urls=unix://localhost:${n}`, `--advertise-client-urls=unix://${root}/etcd.sock`],
      ],
    ];
    for (const [kind, flags] of cases) {
      // The same paths and ports for both servers (each exits at once), so that the texts compare.
      const pp = await freePort();
      const args = (d: string): string[] => [
        `--data-dir=${path.join(root, d)}`,
        `--listen-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`,
        `--initial-cluster=default=http://127.0.0.1:${pp}`,
        ...flags,
      ];
      const etcd = await run(toolPath('etcd'), args(`e-${kind}`), { cwd: root, timeoutMs: 20_000 });
      const ts = await runEtcdTs(args(`t-${kind}`), { cwd: root });
      assert.equal(typeof startError(etcd.stderr), 'string', `${kind}: ${etcd.stderr.slice(-300)}`);
      assert.equal(ts.code, 1, `${kind}: ${ts.stderr.slice(-300)}`);
      assert.equal(startError(ts.stderr), startError(etcd.stderr), kind);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
