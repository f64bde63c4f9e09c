// etcdctl 3.6 against real etcd 3.6 and against etcd-ts: the same scenario (etcdctl-scenario.ts)
// runs against a fresh member of each, and every normalised output (exit code, stdout, stderr)
// must equal the golden transcript recorded from real etcd (golden/etcdctl.json).
// Regenerate the golden file from real etcd with ETCD_TS_UPDATE_GOLDEN=1 (and review the diff).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningMember } from '../helpers/running-member';
import { repoRoot, runEtcdctl, type RunResult } from '../helpers/tools';
import { identify, normalise, type Identity } from './normalise';
import { SCENARIO } from './etcdctl-scenario';
import { realEtcd, targets } from './targets';

const GOLDEN = path.join(repoRoot(), 'test', 'compat', 'golden', 'etcdctl.json');
const update = process.env['ETCD_TS_UPDATE_GOLDEN'] === '1';
const golden: Record<string, RunResult> = fs.existsSync(GOLDEN)
  ? (JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, RunResult>)
  : {};

for (const target of targets()) {
  describe(`etcdctl against ${target.label}`, () => {
    let member: RunningMember | undefined;
    let id: Identity;
    const recorded: Record<string, RunResult> = {};

    before(async () => {
      member = await target.start();
      id = await identify(member);
    });
    after(async () => {
      await member?.stop();
      if (update && target === realEtcd && Object.keys(recorded).length > 0) {
        fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
        fs.writeFileSync(GOLDEN, JSON.stringify(recorded, null, 2) + '\n');
      }
    });

    for (const group of SCENARIO) {
      test(group.name, async () => {
        assert.ok(member, `${target.label} did not start`);
        const failures: string[] = [];
        for (const step of group.steps) {
          const opts: { stdin?: string } = {};
          if (step.stdin !== undefined) opts.stdin = step.stdin;
          const raw = await runEtcdctl(member.endpoint, step.args, opts);
          const got = normalise(raw, id, step.kind);
          recorded[step.id] = got;
          if (update && target === realEtcd) continue;
          const want = golden[step.id];
          if (want === undefined) {
            failures.push(`${step.id}: no golden output (run with ETCD_TS_UPDATE_GOLDEN=1 against real etcd)`);
            continue;
          }
          try {
            assert.deepEqual(got, want);
          } catch {
            failures.push(
              `step "${step.id}" (etcdctl ${step.args.join(' ')}):\n` + `  got:  ${JSON.stringify(got)}\n  want: ${JSON.stringify(want)}`,
            );
          }
        }
        assert.equal(failures.length, 0, `${failures.length} step(s) differ from real etcd:\n${failures.join('\n')}`);
      });
    }
  });
}
