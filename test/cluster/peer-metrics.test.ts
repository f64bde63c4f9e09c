/**
 * The peer and Raft-health metrics of a three-member cluster side by side with a three-member
 * etcd 3.6 cluster started the same way: etcd's names, HELP texts, types, label names and
 * round-trip buckets; on the leader one series per other member (labelled with its id in hex)
 * with bytes sent and received, an active stream, and at least one round trip measured. etcd
 * records its first round trip 30 s after start, so both clusters are scraped after 31 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessCluster } from '../helpers/cluster';
import { assertSameFamily, type Family, scrapeMetrics } from '../helpers/prom-text';
import { runEtcdctl, toolPath } from '../helpers/tools';

const COMPARED = [
  'etcd_network_active_peers',
  'etcd_network_peer_sent_bytes_total',
  'etcd_network_peer_received_bytes_total',
  'etcd_network_peer_round_trip_time_seconds',
  'etcd_server_heartbeat_send_failures_total',
  'etcd_server_slow_read_indexes_total',
  'etcd_server_read_indexes_failed_total',
];

/** Families etcd shows only once something failed: compared when both have them. */
const AFTER_FAILURES = [
  'etcd_network_peer_sent_failures_total',
  'etcd_network_peer_received_failures_total',
  'etcd_network_disconnected_peers_total',
];

interface Scrape {
  metrics: Map<string, Family>;
  ownId: string;
}

async function scrapeCluster(binary: string | undefined): Promise<Scrape> {
  const c = await ProcessCluster.create(3, binary !== undefined ? { binary } : {});
  try {
    await c.startAll();
    const m = c.members[await c.waitLeader()]!;
    for (let i = 0; i < 5; i++) assert.equal((await runEtcdctl(m.clientUrl, ['put', `k${i}`, 'v'])).code, 0);
    await new Promise((r) => setTimeout(r, 31_000));
    const metrics = await scrapeMetrics(m.clientUrl);
    const idSeries = [...(metrics.get('etcd_server_id')?.series.keys() ?? [])][0] ?? '';
    return { metrics, ownId: /server_id="([0-9a-f]+)"/.exec(idSeries)?.[1] ?? '' };
  } finally {
    await c.destroy();
  }
}

/** The values of `label` over a family's series. */
function labelValues(f: Family | undefined, label: string): string[] {
  const out = new Set<string>();
  for (const k of f?.series.keys() ?? []) {
    const m = new RegExp(`${label}="([^"]*)"`).exec(k);
    if (m) out.add(m[1]!);
  }
  return [...out].sort();
}

test('peer metrics of a three-member cluster: as etcd 3.6 names, types and labels them, and counting', { timeout: 240_000 }, async () => {
  const [etcd, ts] = await Promise.all([scrapeCluster(toolPath('etcd')), scrapeCluster(undefined)]);
  const compare = (name: string): Family => assertSameFamily(name, etcd.metrics, ts.metrics);
  for (const name of COMPARED) compare(name);
  for (const name of AFTER_FAILURES) if (etcd.metrics.has(name) && ts.metrics.has(name)) compare(name);

  for (const [who, s] of [
    ['etcd', etcd],
    ['etcd-ts', ts],
  ] as const) {
    const m = s.metrics;
    const peers = labelValues(m.get('etcd_network_peer_sent_bytes_total'), 'To');
    assert.equal(peers.length, 2, `${who}: two peers: ${peers.join(',')}`);
    assert.ok(!peers.includes(s.ownId), `${who}: not itself`);
    // (etcd also counts some bytes under From="0", read before it knows the sender.)
    const from = labelValues(m.get('etcd_network_peer_received_bytes_total'), 'From').filter((x) => x !== '0');
    assert.deepEqual(from, peers, `${who}: received from both`);
    assert.deepEqual(labelValues(m.get('etcd_network_peer_round_trip_time_seconds'), 'To'), peers, `${who}: round trips to both`);
    for (const p of peers) {
      assert.ok((m.get('etcd_network_peer_sent_bytes_total')?.series.get(`{To="${p}"}`) ?? 0) > 0, `${who}: bytes sent to ${p}`);
      assert.ok((m.get('etcd_network_peer_received_bytes_total')?.series.get(`{From="${p}"}`) ?? 0) > 0, `${who}: bytes from ${p}`);
      assert.ok((m.get('etcd_network_peer_round_trip_time_seconds')?.series.get(`_count{To="${p}"}`) ?? 0) >= 1, `${who}: rtt ${p}`);
      assert.equal(m.get('etcd_network_active_peers')?.series.get(`{Local="${s.ownId}",Remote="${p}"}`), 1, `${who}: active ${p}`);
    }
  }
});
