/**
 * --heartbeat-interval is the Raft tick, so it sets how often an idle leader heartbeats its
 * followers: over the same idle 3 s, the leader of a 50 ms cluster sends its peers several times
 * the bytes the leader of a 500 ms cluster sends (both with a 2500 ms election timeout), read from
 * etcd_network_peer_sent_bytes_total.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessCluster } from '../helpers/cluster';
import { scrapeMetrics } from '../helpers/prom-text';

async function sentBytes(clientUrl: string): Promise<number> {
  const f = (await scrapeMetrics(clientUrl)).get('etcd_network_peer_sent_bytes_total');
  return [...(f?.series.values() ?? [])].reduce((a, b) => a + b, 0);
}

async function idleBytesPerSecond(heartbeatMs: number): Promise<number> {
  const c = await ProcessCluster.create(3, { extraArgs: [`--heartbeat-interval=${heartbeatMs}`, '--election-timeout=2500'] });
  try {
    await c.startAll();
    const url = c.members[await c.waitLeader()]!.clientUrl;
    await new Promise((r) => setTimeout(r, 1000)); // joins and publishes settle
    const b0 = await sentBytes(url);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 3000));
    const b1 = await sentBytes(url);
    return ((b1 - b0) * 1000) / (performance.now() - t0);
  } finally {
    await c.destroy();
  }
}

test(
  '--heartbeat-interval: an idle leader at 50 ms sends its peers several times what one at 500 ms does',
  { timeout: 180_000 },
  async () => {
    const [fast, slow] = await Promise.all([idleBytesPerSecond(50), idleBytesPerSecond(500)]);
    console.log(`# idle leader sends ${Math.round(fast)} B/s at 50 ms and ${Math.round(slow)} B/s at 500 ms`);
    assert.ok(slow > 0, 'the 500 ms leader heartbeats too');
    assert.ok(fast > 4 * slow, `50 ms: ${fast} B/s, 500 ms: ${slow} B/s`);
  },
);
