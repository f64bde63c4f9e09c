/**
 * The peer gauges' Local label is the member's own id whenever it is scraped, also for a stream
 * that came up before the id was handed to the metrics (Metrics.watch runs after the member has
 * started, while peer streams may already be up). They used to keep Local="0" for such a stream,
 * and the series for the member's id was missing (seen once in test/cluster/peer-metrics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { PeerMetrics } from '../../src/server/api/http/peer-metrics';
import { parseMetrics } from '../helpers/prom-text';

test('active peers and disconnections are labelled with the id known at scrape time', async () => {
  const r = new Registry();
  let id = 0n;
  const m = new PeerMetrics(r, () => id);
  const a = 0xabcdef0123456789n; // above 2^53: no number on the way
  const b = 0x2n;
  m.activeChanged(a, true);
  m.activeChanged(b, true);
  id = 0x8e9e05c52164694dn;
  let f = parseMetrics(await r.metrics());
  assert.deepEqual(Object.fromEntries(f.get('etcd_network_active_peers')!.series), {
    '{Local="8e9e05c52164694d",Remote="2"}': 1,
    '{Local="8e9e05c52164694d",Remote="abcdef0123456789"}': 1,
  });
  assert.equal(f.get('etcd_network_disconnected_peers_total')?.series.size ?? 0, 0);

  m.activeChanged(a, false);
  m.activeChanged(a, true);
  m.activeChanged(a, false);
  f = parseMetrics(await r.metrics());
  assert.deepEqual(Object.fromEntries(f.get('etcd_network_active_peers')!.series), {
    '{Local="8e9e05c52164694d",Remote="2"}': 1,
    '{Local="8e9e05c52164694d",Remote="abcdef0123456789"}': 0,
  });
  assert.deepEqual(Object.fromEntries(f.get('etcd_network_disconnected_peers_total')!.series), {
    '{Local="8e9e05c52164694d",Remote="abcdef0123456789"}': 2,
  });
});
