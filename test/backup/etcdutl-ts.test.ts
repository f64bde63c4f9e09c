// bin/etcdutl-ts hashkv and defrag against etcdutl 3.6: `hashkv FILE [--rev N]` of snapshot files
// saved from real etcd 3.6 and from etcd-ts with the same history (puts, a delete, a compaction,
// a delete after it) prints what etcdutl prints for every revision (and etcd's errors below the
// compaction and past the end); `defrag --data-dir` compacts a stopped member's store, which
// then serves the same data, and refuses a missing one with etcd's text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';
import { startProcessMember } from '../helpers/process-member';
import { repoRoot, run, runEtcdctl, toolPath } from '../helpers/tools';

const ETCDUTL_TS = path.join(repoRoot(), 'bin', 'etcdutl-ts');
let real: RunningMember | undefined;
let ours: RunningMember | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcdutl-ts-'));

before(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startMember } = require('../helpers/member') as typeof import('../helpers/member');
  [real, ours] = await Promise.all([startRealEtcd(), startMember()]);
});

after(async () => {
  await Promise.all([real?.stop(), ours?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function history(m: RunningMember, file: string): Promise<void> {
  const steps = [
    ['put', 'k1', 'v1'],
    ['put', 'k2', 'v2'],
    ['put', 'k3', 'v3'],
    ['put', 'k4', 'v4'],
    ['put', 'k1', 'x'],
    ['del', 'k2'],
    ['compact', '6'],
    ['del', 'k3'],
    ['put', 'k5', 'v5'],
  ];
  for (const s of steps) assert.equal((await runEtcdctl(m.endpoint, s)).code, 0, s.join(' '));
  assert.equal((await runEtcdctl(m.endpoint, ['snapshot', 'save', file])).code, 0);
}

const errorLine = (s: string): string => s.split('\n').find((l) => l.startsWith('Error:')) ?? '';

test('etcdutl-ts hashkv prints what etcdutl 3.6 prints, for files from etcd and from etcd-ts', { timeout: 60_000 }, async () => {
  assert.ok(real && ours);
  const files = [path.join(dir, 'etcd.db'), path.join(dir, 'etcd-ts.db')];
  await history(real, files[0]!);
  await history(ours, files[1]!);
  for (const f of files) {
    for (const rev of ['0', '2', '6', '7', '8', '9', '10']) {
      for (const w of ['simple', 'json']) {
        const args = ['hashkv', f, '--rev', rev, '-w', w];
        const want = await run(toolPath('etcdutl'), args);
        const got = await run(ETCDUTL_TS, args);
        assert.deepEqual(
          [got.code, got.stdout, errorLine(got.stderr)],
          [want.code, want.stdout, errorLine(want.stderr)],
          `${path.basename(f)} ${args.join(' ')}`,
        );
      }
    }
  }
});

test('etcdutl-ts defrag --data-dir compacts a stopped member, which then serves the same data', { timeout: 60_000 }, async () => {
  const dataDir = path.join(dir, 'member-data');
  const m = await startProcessMember({ dataDir });
  for (let i = 0; i < 200; i++) assert.equal((await runEtcdctl(m.endpoint, ['put', `k${i % 10}`, 'v'.repeat(1000) + i])).code, 0);
  const before = (await runEtcdctl(m.endpoint, ['get', '', '--prefix', '-w', 'json'])).stdout.replace(/"header":\{[^}]*\},/, '');
  await m.stop();
  const r = await run(ETCDUTL_TS, ['defrag', '--data-dir', dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const again = await startProcessMember({ dataDir });
  try {
    const after = (await runEtcdctl(again.endpoint, ['get', '', '--prefix', '-w', 'json'])).stdout.replace(/"header":\{[^}]*\},/, '');
    assert.equal(after, before);
  } finally {
    await again.stop();
  }
  const missing = path.join(dir, 'nope');
  const ts = await run(ETCDUTL_TS, ['defrag', '--data-dir', missing]);
  assert.equal(ts.code, 1);
  assert.equal(
    errorLine(ts.stderr),
    `Error: Failed to defragment etcd data[${missing}] (stat ${missing}/member/leveldb: no such file or directory)`,
  );
});
