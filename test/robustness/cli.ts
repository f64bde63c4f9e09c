/**
 * Robustness runs from the command line (test/robustness/run.sh):
 *
 *   node dist/test/robustness/cli.js                 the short (CI) profile: 1 and 3 members, ~40 s each
 *   ROBUSTNESS_DURATION=30m node dist/test/robustness/cli.js
 *                                                    runs of ROBUSTNESS_RUN (default 2m) with fresh
 *                                                    seeds, alternating 1 and 3 members, all fault
 *                                                    kinds, until the duration is used up
 *   ROBUSTNESS_SEED=<n>                              first seed (replays a run: same members/profile)
 *   ROBUSTNESS_MEMBERS=1|3                           only that cluster size
 *
 * Prints one line per fault and per run, then `robustness: N operations, M faults, linearizable:
 * yes|no`; exits 1 when any run failed (the folder with its evidence is printed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runRobustness, type RunResult } from './harness';

export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${s}`);
  const n = Number(m[1]);
  return n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000);
}

export function summary(results: RunResult[]): string {
  const ops = results.reduce((a, r) => a + r.operations, 0);
  const faults = results.reduce((a, r) => a + r.faults, 0);
  const lin = results.every((r) => r.linearizable === 'yes') ? 'yes' : 'no';
  return `robustness: ${ops} operations, ${faults} faults, linearizable: ${lin}`;
}

export function describe(r: RunResult): string {
  const kinds = Object.entries(r.faultKinds)
    .map(([k, n]) => `${k}×${n}`)
    .join(' ');
  const d = r.driver;
  return (
    `robustness: seed ${r.seed}, ${r.members} member(s)${r.netns ? ' (netns)' : ''}: ${r.operations} operations ` +
    `(${String(d.writes ?? '?')} writes, ${String(d.unknown ?? '?')} unknown), final revision ${String(d.finalRevision ?? '?')}, ` +
    `${String(d.watchEvents ?? '?')} watch events, ${r.faults} faults [${kinds}], ${r.restarts} restarts, ` +
    `linearizable: ${r.linearizable} (${String(d.checkSeconds ?? '?')} s)` +
    (r.problems.length ? `\n  FAILED, evidence in ${r.folder}:\n  - ${r.problems.slice(0, 20).join('\n  - ')}` : '') +
    (r.skipped.length ? `\n  note: ${r.skipped.join('; ')}` : '')
  );
}

async function main(): Promise<void> {
  const seed0 = process.env.ROBUSTNESS_SEED ? Number(process.env.ROBUSTNESS_SEED) : Math.floor(Math.random() * 1e9);
  const only = process.env.ROBUSTNESS_MEMBERS ? (Number(process.env.ROBUSTNESS_MEMBERS) as 1 | 3) : undefined;
  const results: RunResult[] = [];
  if (process.env.ROBUSTNESS_REGRESSIONS) {
    const file = path.join(__dirname, '..', '..', '..', 'test', 'robustness', 'regressions.json');
    const cases = JSON.parse(fs.readFileSync(file, 'utf8')) as { seed: number; members: 1 | 3; durationMs: number; found: string }[];
    for (const c of cases) {
      console.log(`robustness: regression seed ${c.seed}, ${c.members} member(s): ${c.found}`);
      const r = await runRobustness({ seed: c.seed, members: c.members, durationMs: c.durationMs });
      console.log(describe(r));
      results.push(r);
    }
  } else if (!process.env.ROBUSTNESS_DURATION) {
    const sizes: (1 | 3)[] = only ? [only] : [1, 3];
    for (const [k, members] of sizes.entries()) {
      const seed = seed0 + k;
      console.log(`robustness: seed ${seed} (replay: ROBUSTNESS_SEED=${seed} ROBUSTNESS_MEMBERS=${members})`);
      const r = await runRobustness({ seed, members, durationMs: 40_000 });
      console.log(describe(r));
      results.push(r);
    }
  } else {
    const total = parseDuration(process.env.ROBUSTNESS_DURATION);
    const each = parseDuration(process.env.ROBUSTNESS_RUN ?? '2m');
    const end = Date.now() + total;
    for (let k = 0; Date.now() + Math.min(each, 30_000) < end; k++) {
      const seed = seed0 + k;
      const members: 1 | 3 = only ?? (k % 3 === 0 ? 1 : 3);
      console.log(
        `robustness: seed ${seed} (replay: ROBUSTNESS_SEED=${seed} ROBUSTNESS_MEMBERS=${members} ROBUSTNESS_DURATION=${each}ms ROBUSTNESS_RUN=${each}ms)`,
      );
      const r = await runRobustness({ seed, members, durationMs: Math.min(each, end - Date.now()) });
      console.log(describe(r));
      results.push(r);
    }
  }
  const ok = results.every((r) => r.linearizable === 'yes' && r.problems.length === 0);
  console.log(summary(results));
  process.exit(ok ? 0 : 1);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
