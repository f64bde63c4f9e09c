/** etcd's HTTP endpoints on the client port, next to gRPC on the same port. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startMember } from '../helpers/member';
import { runEtcdctl } from '../helpers/tools';
import { startEtcdctl } from '../watch/etcdctl-proc';

function get(url: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type'] ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('health, livez, readyz, version, metrics and 404 on the client port, while gRPC works on the same port', async () => {
  const m = await startMember();
  try {
    assert.deepEqual(JSON.parse((await get(`${m.clientUrl}/health`)).body), { health: 'true', reason: '' });
    assert.equal((await get(`${m.clientUrl}/health?serializable=true`)).status, 200);
    assert.equal((await get(`${m.clientUrl}/health`, 'POST')).status, 405);
    const livez = await get(`${m.clientUrl}/livez`);
    assert.equal(livez.status, 200);
    assert.equal(livez.body, 'ok\n');
    assert.equal((await get(`${m.clientUrl}/readyz`)).body, 'ok\n');
    const v = JSON.parse((await get(`${m.clientUrl}/version`)).body) as Record<string, string>;
    assert.match(v.etcdserver!, /^3\.6\.\d+$/);
    assert.equal(v.etcdcluster, '3.6.0');
    assert.equal((await get(`${m.clientUrl}/nope`)).status, 404);
    const put = await runEtcdctl(m.endpoint, ['put', 'k', 'v']);
    assert.equal(put.stdout.trim(), 'OK');
    assert.equal((await get(`${m.clientUrl}/health`)).status, 200);
    const metrics = await get(`${m.clientUrl}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^etcd_server_has_leader 1$/m);
    assert.match(metrics.body, /^etcd_debugging_mvcc_current_revision 2$/m);
    assert.match(metrics.body, /^etcd_server_leader_changes_seen_total 1$/m);
    assert.match(metrics.body, /^process_resident_memory_bytes \d+/m);
    assert.match(metrics.body, /^etcd_server_version\{server_version="3\.6\.\d+"\} 1$/m);
    assert.match(metrics.body, /^etcd_debugging_mvcc_watcher_total 0$/m);
    assert.match(metrics.body, /^etcd_debugging_mvcc_watch_stream_total 0$/m);
  } finally {
    await m.stop();
  }
});

test('watch gauges: streams, watchers and slow (unsynced) watchers, as etcd names them', async () => {
  const m = await startMember();
  const watches = [];
  try {
    await runEtcdctl(m.endpoint, ['put', 'k', 'v']);
    watches.push(startEtcdctl(m.endpoint, ['watch', 'k']));
    watches.push(startEtcdctl(m.endpoint, ['watch', '--prefix', 'k']));
    const gauge = async (name: string): Promise<number> => {
      const body = (await get(`${m.clientUrl}/metrics`)).body;
      return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(body)?.[1]);
    };
    for (let i = 0; i < 200 && (await gauge('etcd_debugging_mvcc_watcher_total')) < 2; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(await gauge('etcd_debugging_mvcc_watcher_total'), 2);
    assert.equal(await gauge('etcd_debugging_mvcc_watch_stream_total'), 2, 'one stream per etcdctl');
    assert.equal(await gauge('etcd_debugging_mvcc_slow_watcher_total'), 0);
    await watches.pop()!.stop();
    for (let i = 0; i < 200 && (await gauge('etcd_debugging_mvcc_watch_stream_total')) > 1; i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.equal(await gauge('etcd_debugging_mvcc_watch_stream_total'), 1);
    assert.equal(await gauge('etcd_debugging_mvcc_watcher_total'), 1);
  } finally {
    for (const w of watches) await w.stop();
    await m.stop();
  }
});
