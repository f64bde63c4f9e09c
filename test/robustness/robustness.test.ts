/**
 * The short (CI) robustness profile: a 1-member and a 3-member cluster (network namespaces when
 * running as root, so partitions are among the faults), ~40 s of clientv3 traffic each with
 * seeded faults, then linearizability (porcupine), watch and member consistency checks.
 * ROBUSTNESS_SEED=<n> replays; the seed of each run is printed. Ends with one line
 * `robustness: N operations, M faults, linearizable: yes|no`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runRobustness, type RunResult } from './harness';
import { describe, summary } from './cli';

const seed0 = process.env.ROBUSTNESS_SEED ? Number(process.env.ROBUSTNESS_SEED) : Math.floor(Math.random() * 1e9);
const durationMs = process.env.ROBUSTNESS_CI_DURATION_MS ? Number(process.env.ROBUSTNESS_CI_DURATION_MS) : 40_000;
const results: RunResult[] = [];

for (const [k, members] of ([1, 3] as const).entries()) {
  test(
    `robustness: ${members} member(s), ${durationMs / 1000} s of traffic with faults (seed ${seed0 + k})`,
    { timeout: 240_000 },
    async () => {
      const seed = seed0 + k;
      console.log(`robustness: seed ${seed} (replay: ROBUSTNESS_SEED=${seed} ROBUSTNESS_MEMBERS=${members} bash test/robustness/run.sh)`);
      const r = await runRobustness({ seed, members, durationMs });
      results.push(r);
      console.log(describe(r));
      assert.ok(r.faults > 0, 'no fault was injected');
      assert.ok(r.operations > 100, `only ${r.operations} operations`);
      assert.deepEqual(r.problems, [], `seed ${seed} failed; evidence in ${r.folder}`);
      assert.equal(r.linearizable, 'yes');
    },
  );
}

test('robustness: summary', () => {
  console.log(summary(results));
  assert.equal(results.length, 2);
});
