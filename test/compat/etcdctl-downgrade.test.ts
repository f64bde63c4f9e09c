// Maintenance.Downgrade through etcdctl 3.6 against real etcd 3.6 and etcd-ts in the same run:
// validate, enable and cancel with good, wrong and malformed target versions, a job in progress,
// a cancel without one, and Status's downgradeInfo at each step: the same exit codes, output and
// errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';
import { runEtcdctl, withoutClientLogs } from '../helpers/tools';

let real: RunningMember | undefined;
let ours: RunningMember | undefined;

before(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startMember } = require('../helpers/member') as typeof import('../helpers/member');
  [real, ours] = await Promise.all([startRealEtcd(), startMember()]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.stop()]);
});

const STEPS: string[][] = [
  ['downgrade', 'cancel'],
  ['downgrade', 'validate', '3.4'],
  ['downgrade', 'validate', '3.6'],
  ['downgrade', 'validate', '3.7'],
  ['downgrade', 'validate', 'x'],
  ['downgrade', 'validate', '3.5.9'],
  ['downgrade', 'validate', '3.5'],
  ['downgrade', 'enable', '3.4'],
  ['downgrade', 'enable', '3.5'],
  ['endpoint', 'status', '-w', 'json'],
  ['downgrade', 'enable', '3.5'],
  ['downgrade', 'validate', '3.5'],
  ['downgrade', 'cancel'],
  ['endpoint', 'status', '-w', 'json'],
  ['downgrade', 'cancel'],
];

async function transcript(m: RunningMember): Promise<string[]> {
  const out: string[] = [];
  for (const args of STEPS) {
    const r = await runEtcdctl(m.endpoint, args);
    const text = args[0] === 'endpoint' ? (/"downgradeInfo":\{[^}]*\}/.exec(r.stdout)?.[0] ?? r.stdout) : r.stdout;
    out.push(`${args.join(' ')} -> exit ${r.code}: ${text.trim()} ${withoutClientLogs(r.stderr).trim()}`);
  }
  return out;
}

test(
  'downgrade validate/enable/cancel and downgradeInfo: etcdctl sees from etcd-ts what it sees from etcd 3.6',
  { timeout: 60_000 },
  async (t) => {
    assert.ok(real && ours);
    const r = await transcript(real);
    const o = await transcript(ours);
    for (const l of o) t.diagnostic(l);
    assert.ok(
      r.some((l) => l.includes('"enabled":true')),
      'the job shows in Status',
    );
    assert.deepEqual(o, r);
  },
);
