/**
 * /metrics side by side with a real etcd 3.6 after the same requests: the metrics operators'
 * dashboards read have etcd's names, HELP texts, types, label names and histogram buckets; the
 * gRPC counters have etcd's series for its own services (every method, type and code, from 0)
 * and count the same outcomes. (The peer metrics need peers: see test/cluster/peer-metrics.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { runEtcdctl, toolPath } from '../helpers/tools';
import { assertSameFamily, type Family, scrapeMetrics } from '../helpers/prom-text';

const COMPARED = [
  'etcd_server_has_leader',
  'etcd_server_is_leader',
  'etcd_server_leader_changes_seen_total',
  'etcd_server_proposals_committed_total',
  'etcd_server_proposals_applied_total',
  'etcd_server_proposals_pending',
  'etcd_server_proposals_failed_total',
  'etcd_server_slow_apply_total',
  'etcd_disk_wal_fsync_duration_seconds',
  'etcd_disk_backend_commit_duration_seconds',
  'etcd_mvcc_db_total_size_in_bytes',
  'etcd_mvcc_db_total_size_in_use_in_bytes',
  'etcd_server_quota_backend_bytes',
  'etcd_server_version',
  'etcd_cluster_version',
  'grpc_server_started_total',
  'grpc_server_handled_total',
];

async function scrape(binary: string | undefined): Promise<Map<string, Family>> {
  const m: ProcessMember = await startProcessMember(binary !== undefined ? { binary: toolPath(binary) } : {});
  try {
    for (let i = 0; i < 3; i++) assert.equal((await runEtcdctl(m.clientUrl, ['put', `k${i}`, 'v'])).code, 0);
    assert.equal((await runEtcdctl(m.clientUrl, ['get', 'k0'])).code, 0);
    assert.notEqual((await runEtcdctl(m.clientUrl, ['get', 'k0', '--rev=1000'])).code, 0, 'a future revision fails (OutOfRange)');
    return await scrapeMetrics(m.clientUrl);
  } finally {
    await m.stop();
  }
}

test('dashboard metrics: names, help, types, labels, buckets and gRPC series as etcd 3.6', { timeout: 120_000 }, async () => {
  const etcd = await scrape('etcd');
  const ts = await scrape(undefined);
  for (const name of COMPARED) {
    const t = assertSameFamily(name, etcd, ts);
    if (t.type === 'histogram') assert.ok((t.series.get('_count{}') ?? 0) > 0, `${name} observed`);
  }
  // Every series etcd initialises for its services, grpc.health.v1 included.
  const own = (f: Family | undefined) =>
    [...(f?.series.keys() ?? [])].filter((k) => /grpc_service="(etcdserverpb|grpc\.health\.v1)\./.test(k)).sort();
  for (const name of ['grpc_server_started_total', 'grpc_server_handled_total']) {
    assert.ok(
      own(etcd.get(name)).some((k) => k.includes('grpc.health.v1.Health')),
      `${name}: etcd initialises grpc.health.v1`,
    );
    assert.deepEqual(own(ts.get(name)), own(etcd.get(name)), `${name} series`);
  }
  const count = (f: Map<string, Family>, method: string, code: string) =>
    f
      .get('grpc_server_handled_total')
      ?.series.get(`{grpc_code="${code}",grpc_method="${method}",grpc_service="etcdserverpb.KV",grpc_type="unary"}`);
  for (const [method, code] of [
    ['Put', 'OK'],
    ['Range', 'OK'],
    ['Range', 'OutOfRange'],
  ] as const) {
    assert.equal(count(ts, method, code), count(etcd, method, code), `${method} ${code}`);
  }
});
