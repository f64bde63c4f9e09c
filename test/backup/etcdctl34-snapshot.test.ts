// `etcdctl snapshot save` with etcdctl 3.4 (Debian's etcd-client) against etcd-ts: the file is
// the one etcdctl 3.6 saves at the same revision, byte for byte, and both etcdctl 3.4's own
// `snapshot status` and etcdutl 3.6's read it. In CI etcdctl 3.4 is always installed
// (test/tools/install.sh); elsewhere the test is skipped without it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startMember, type TestMember } from '../helpers/member';
import { run, runEtcdctl, toolPath } from '../helpers/tools';

const ETCDCTL34 = toolPath('etcdctl34');
const have34 = fs.existsSync(ETCDCTL34);
if (process.env.CI === 'true') assert.ok(have34, 'CI installs etcdctl 3.4 (test/tools/install.sh)');
let m: TestMember | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'etcdctl34-'));

before(async () => {
  if (have34) m = await startMember();
});

after(async () => {
  await m?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test(
  'etcdctl 3.4 snapshot save against etcd-ts: the same file as etcdctl 3.6, read by both tools',
  { skip: have34 ? false : 'no .tools/bin/etcdctl34' },
  async () => {
    assert.ok(m);
    for (let i = 0; i < 20; i++) assert.equal((await runEtcdctl(m.endpoint, ['put', `k${i % 7}`, `v${i}`])).code, 0);
    const f34 = path.join(dir, 'by34.db');
    const f36 = path.join(dir, 'by36.db');
    const r34 = await run(ETCDCTL34, ['--endpoints', m.endpoint, 'snapshot', 'save', f34], { env: { ETCDCTL_API: '3' } });
    assert.equal(r34.code, 0, r34.stderr);
    assert.match(r34.stdout, /Snapshot saved at /);
    assert.equal((await runEtcdctl(m.endpoint, ['snapshot', 'save', f36])).code, 0);
    assert.ok(fs.readFileSync(f34).equals(fs.readFileSync(f36)), 'the same bytes from both clients');
    const st34 = await run(ETCDCTL34, ['snapshot', 'status', f34, '-w', 'json'], { env: { ETCDCTL_API: '3' } });
    assert.equal(st34.code, 0, st34.stderr);
    assert.equal((JSON.parse(st34.stdout) as { revision: number }).revision, 21);
    const st36 = await run(toolPath('etcdutl'), ['snapshot', 'status', f34, '-w', 'json']);
    assert.equal(st36.code, 0, st36.stderr);
    assert.deepEqual(
      (({ revision, totalKey }) => ({ revision, totalKey }))(JSON.parse(st36.stdout) as { revision: number; totalKey: number }),
      { revision: 21, totalKey: 7 },
    );
  },
);
