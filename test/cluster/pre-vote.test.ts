/**
 * --pre-vote, shown on three hosts in network namespaces: a follower cut off for 4 s (four
 * election timeouts) and then reconnected. With pre-vote (the default) it never raised its term,
 * so the cluster keeps its leader and term; with --pre-vote=false it campaigned at ever higher
 * terms and, back, forces the leader to step down (a higher term than before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostNetwork, netnsAvailable } from '../helpers/netns';
import { runEtcdctl } from '../helpers/tools';

const skip = netnsAvailable();

async function termsAndLeader(net: HostNetwork, which: number[]): Promise<{ term: number; leader: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await runEtcdctl(net.endpoints(which), ['endpoint', 'status', '-w', 'json', '--command-timeout=3s'], { timeoutMs: 15_000 });
    if (r.code === 0) {
      const all = JSON.parse(r.stdout) as { Status: { header: { raft_term: number; member_id: number }; leader: number } }[];
      const leaders = new Set(all.map((s) => String(s.Status.leader)));
      if (all.length === which.length && leaders.size === 1 && !leaders.has('0')) {
        return { term: Math.max(...all.map((s) => Number(s.Status.header.raft_term))), leader: [...leaders][0]! };
      }
    }
    if (Date.now() > deadline) throw new Error(`no agreed leader: ${r.stdout} ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

async function isolateFollower(
  preVote: boolean,
): Promise<{ before: { term: number; leader: string }; after: { term: number; leader: string } }> {
  const net = await HostNetwork.create(3, { extraArgs: [`--pre-vote=${preVote}`] });
  try {
    for (let i = 0; i < 3; i++) net.start(i);
    await net.waitHealthy([0, 1, 2]);
    const before = await termsAndLeader(net, [0, 1, 2]);
    const st = await runEtcdctl(net.endpoints(), ['endpoint', 'status', '-w', 'json']);
    const ids = (JSON.parse(st.stdout) as { Status: { header: { member_id: number } } }[]).map((s) => String(s.Status.header.member_id));
    const follower = ids.findIndex((id) => id !== before.leader);
    await net.link(follower, false);
    await new Promise((r) => setTimeout(r, 4000));
    await net.link(follower, true);
    await new Promise((r) => setTimeout(r, 3000));
    return { before, after: await termsAndLeader(net, [0, 1, 2]) };
  } finally {
    await net.destroy();
  }
}

test('--pre-vote: a reconnected follower disrupts the cluster only without pre-vote', { skip, timeout: 240_000 }, async () => {
  const withPreVote = await isolateFollower(true);
  assert.equal(withPreVote.after.term, withPreVote.before.term, 'pre-vote: same term after the follower is back');
  assert.equal(withPreVote.after.leader, withPreVote.before.leader, 'pre-vote: same leader');
  const without = await isolateFollower(false);
  assert.ok(without.after.term > without.before.term, `no pre-vote: the term rose (${without.before.term} -> ${without.after.term})`);
});
