/**
 * --election-timeout changes how long followers wait for a lost leader: three members at 3000 ms
 * elect no new leader within 2.5 s of the leader's SIGKILL, three members at 500 ms do (Raft
 * randomises the timeout in [T, 2T); polling adds at most a few hundred ms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessCluster } from '../helpers/cluster';

async function failoverMs(electionMs: number): Promise<number> {
  const c = await ProcessCluster.create(3, { extraArgs: ['--heartbeat-interval=100', `--election-timeout=${electionMs}`] });
  try {
    await c.startAll();
    const leader = await c.waitLeader();
    const t0 = performance.now();
    await c.kill(leader);
    await c.waitLeader(30_000, leader);
    return performance.now() - t0;
  } finally {
    await c.destroy();
  }
}

test('--election-timeout: a 3000 ms cluster waits longer for a new leader than a 500 ms one', { timeout: 180_000 }, async () => {
  const slow = await failoverMs(3000);
  const fast = await failoverMs(500);
  console.log(`# new leader after ${Math.round(fast)} ms (500 ms timeout) and ${Math.round(slow)} ms (3000 ms timeout)`);
  assert.ok(slow >= 2500, `3000 ms: ${slow} ms`);
  assert.ok(fast < 2500, `500 ms: ${fast} ms`);
});
