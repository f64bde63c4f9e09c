/**
 * A storage failure under load (the data dir's filesystem fills up) exits the process with code 1
 * after one fatal log line, as etcd does, so that a supervisor restarts it; the restart, once
 * there is room again, loses nothing that was acknowledged. etcd-ts used to stay up answering
 * `etcdserver: server stopped` for good. Needs root (a small tmpfs is mounted for the data dir).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startProcessMember } from '../helpers/process-member';
import { parseWriter } from '../helpers/cluster-checks';
import { run, runEtcdctl, toolPath } from '../helpers/tools';

const isRoot = process.getuid?.() === 0;

test(
  'disk full under 16 writers: the member exits 1 promptly; after a restart every acknowledged write is there',
  { skip: isRoot ? false : 'needs root to mount a small tmpfs' },
  async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', root]);
    try {
      const dataDir = path.join(root, 'data');
      const m = await startProcessMember({ dataDir });
      let exitedAt = 0;
      void m.exited.then(() => (exitedAt = Date.now()));
      const w = await run(
        toolPath('writer'),
        ['-duration', '15s', '-concurrency', '16', '-pad', '16384', '-prefix', '/full/', '-timeout', '2s'],
        {
          env: { ETCD_ENDPOINTS: m.endpoint },
          timeoutMs: 60_000,
        },
      );
      const { acks } = parseWriter(w.stdout);
      const exit = await Promise.race([m.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5_000))]);
      assert.ok(exit !== undefined, `the member is still running with a full disk:\n${m.stderr().slice(-3000)}`);
      assert.equal(exit.code, 1, m.stderr().slice(-3000));
      const fatal = m
        .stderr()
        .split('\n')
        .filter((l) => l.includes('"level":"fatal"'));
      assert.equal(fatal.length, 1, m.stderr().slice(-3000));
      assert.match(fatal[0]!, /No space left on device|ENOSPC/i);
      const fatalAt = Date.parse((JSON.parse(fatal[0]!) as { time: string }).time);
      assert.ok(exitedAt - fatalAt < 5_000, `exited ${exitedAt - fatalAt} ms after the failure`);
      assert.ok(acks.length > 100, `only ${acks.length} writes acknowledged before the disk filled`);

      // Room again; the supervisor's restart recovers with every acknowledged write.
      execFileSync('mount', ['-o', 'remount,size=256m', root]);
      const again = await startProcessMember({ dataDir });
      try {
        const r = await runEtcdctl(again.endpoint, ['get', '/full/', '--prefix', '-w', 'json'], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        const kvs = new Map<string, string>();
        for (const kv of (JSON.parse(r.stdout) as { kvs?: { key: string; value: string }[] }).kvs ?? []) {
          kvs.set(Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString().split('|')[0]!);
        }
        const missing = acks.filter((a) => kvs.get(a.key) !== a.value);
        assert.equal(missing.length, 0, `${missing.length} of ${acks.length} acknowledged writes missing, e.g. ${missing[0]?.key}`);
        const put = await runEtcdctl(again.endpoint, ['put', '/after', 'ok']);
        assert.equal(put.code, 0, put.stderr);
      } finally {
        await again.stop();
      }
    } finally {
      execFileSync('umount', ['-l', root]);
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);
