// The backend quota and the NOSPACE alarm, through etcdctl 3.6, against real etcd 3.6 and etcd-ts
// started the same way (--quota-backend-bytes=1 MiB) in the same run: fill the store until a put
// fails, then every observation of the alarm (alarm list, endpoint status, refused put / txn /
// lease grant, allowed get / delete, compaction, defragmentation, alarm disarm, the put that
// works again) must be the same, after normalisation (member ids, endpoint, revisions).
// How many 100 KB puts fit differs (etcd measures its bbolt file, etcd-ts the MVCC data it
// holds): not compared, only that some did and that the filling stopped with etcd's error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';
import { runEtcdctl, type RunResult } from '../helpers/tools';
import { identify, normalise, type Identity } from './normalise';

const QUOTA = 1024 * 1024;
const VALUE = 'v'.repeat(100_000);

let real: RunningMember | undefined;
let ours: RunningMember | undefined;

before(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startMember } = require('../helpers/member') as typeof import('../helpers/member');
  [real, ours] = await Promise.all([
    startRealEtcd({ extraArgs: [`--quota-backend-bytes=${QUOTA}`] }),
    startMember({ quotaBackendBytes: QUOTA }),
  ]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.stop()]);
});

interface Transcript {
  filled: number;
  steps: [string, RunResult][];
}

async function scenario(m: RunningMember): Promise<Transcript> {
  const id: Identity = await identify(m);
  const steps: [string, RunResult][] = [];
  const ctl = async (label: string, args: string[], kind: 'plain' | 'status' = 'plain'): Promise<RunResult> => {
    const r = normalise(await runEtcdctl(m.endpoint, args), id, kind);
    steps.push([label, r]);
    return r;
  };
  let filled = 0;
  let last: RunResult | undefined;
  for (let i = 0; i < 40; i++) {
    last = await runEtcdctl(m.endpoint, ['put', `big/${String(i).padStart(2, '0')}`, VALUE]);
    if (last.code !== 0) break;
    filled++;
  }
  assert.ok(last !== undefined);
  steps.push(['the put that did not fit', normalise(last, id)]);
  await ctl('alarm list', ['alarm', 'list']);
  await ctl('endpoint status', ['endpoint', 'status', '-w', 'table'], 'status');
  await ctl('put while NOSPACE', ['put', 'small', 'v']);
  steps.push(['txn with a put while NOSPACE', normalise(await runEtcdctl(m.endpoint, ['txn'], { stdin: '\nput small v\n\n\n' }), id)]);
  steps.push(['read-only txn while NOSPACE', normalise(await runEtcdctl(m.endpoint, ['txn'], { stdin: '\nget small\n\n\n' }), id)]);
  await ctl('lease grant while NOSPACE', ['lease', 'grant', '100']);
  await ctl('get while NOSPACE', ['get', 'big/00', '--print-value-only=false', '--keys-only']);
  const del = await runEtcdctl(m.endpoint, ['del', 'big/', '--prefix']);
  steps.push(['delete while NOSPACE (exit code)', { code: del.code, stdout: '', stderr: '' }]);
  const st = await runEtcdctl(m.endpoint, ['endpoint', 'status', '-w', 'json']);
  const rev = /"revision":(\d+)/.exec(st.stdout)?.[1];
  assert.ok(rev !== undefined, st.stdout);
  const compact = normalise(await runEtcdctl(m.endpoint, ['compact', rev, '--physical']), id);
  steps.push(['compact', { ...compact, stdout: compact.stdout.replace(rev, '<REV>') }]);
  const defrag = normalise(await runEtcdctl(m.endpoint, ['defrag']), id);
  steps.push(['defrag', { ...defrag, stdout: defrag.stdout.replace(/took [^\n]*/, 'took <TOOK>') }]);
  await ctl('put after compaction, alarm still raised', ['put', 'small', 'v']);
  await ctl('alarm disarm', ['alarm', 'disarm']);
  await ctl('alarm list after disarm', ['alarm', 'list']);
  await ctl('put after disarm', ['put', 'small', 'v']);
  const grant = normalise(await runEtcdctl(m.endpoint, ['lease', 'grant', '100']), id);
  steps.push([
    'lease grant after disarm (lease id left out)',
    { ...grant, stdout: grant.stdout.replace(/lease [0-9a-f]+ granted/, 'lease <ID> granted') },
  ]);
  await ctl('endpoint status after disarm', ['endpoint', 'status', '-w', 'table'], 'status');
  await ctl('alarm disarm with none raised', ['alarm', 'disarm']);
  return { filled, steps };
}

test('NOSPACE: etcdctl sees the same quota errors, alarm and recovery from etcd-ts as from etcd 3.6', { timeout: 120_000 }, async (t) => {
  assert.ok(real && ours);
  const [r, o] = await Promise.all([scenario(real), scenario(ours)]);
  if (process.env.VERBOSE) for (const [l, x] of o.steps) t.diagnostic(`${l}: ${JSON.stringify(x)}`);
  t.diagnostic(`100 KB puts before NOSPACE (quota ${QUOTA} bytes): etcd ${r.filled}, etcd-ts ${o.filled}`);
  assert.ok(r.filled > 0 && o.filled > 0);
  assert.equal(o.steps[0]![1].stderr.trim(), 'Error: etcdserver: mvcc: database space exceeded');
  assert.deepEqual(
    o.steps.map(([l]) => l),
    r.steps.map(([l]) => l),
  );
  for (let i = 0; i < r.steps.length; i++) {
    assert.deepEqual(o.steps[i]![1], r.steps[i]![1], `step "${r.steps[i]![0]}": etcd-ts vs etcd`);
  }
});
