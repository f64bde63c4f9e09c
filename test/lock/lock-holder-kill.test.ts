/** `etcdctl lock` (clientv3 concurrency.Mutex): a holder killed with SIGKILL loses the lock once its lease expires. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startMember } from '../helpers/member';
import { toolPath } from '../helpers/tools';

function lockProc(endpoint: string, args: string[]): { out: () => string; kill: () => void; exited: Promise<number | null> } {
  const child = spawn(toolPath('etcdctl'), ['--endpoints', endpoint, 'lock', '--ttl', '3', 'mylock', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { out: () => out, kill: () => child.kill('SIGKILL'), exited };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a lock holder killed with SIGKILL loses the lock once its 3 s lease expires', { timeout: 60_000 }, async () => {
  const m = await startMember();
  try {
    const holder = lockProc(m.endpoint, []);
    const t0 = Date.now();
    while (!/^mylock\//m.test(holder.out())) {
      assert.ok(Date.now() - t0 < 10_000, 'first etcdctl lock did not acquire');
      await sleep(50);
    }
    const waiter = lockProc(m.endpoint, ['--', 'echo', 'got-it']);
    await sleep(1500);
    assert.equal(waiter.out(), '', 'second contender got the lock while it was held');
    holder.kill();
    const killedAt = Date.now();
    const code = await waiter.exited;
    const waited = Date.now() - killedAt;
    assert.equal(code, 0);
    assert.match(waiter.out(), /got-it/);
    console.log(`# lock passed on ${waited} ms after the holder was killed (lease TTL 3 s)`);
    assert.ok(waited >= 1000 && waited <= 8000, `lock passed on after ${waited} ms`);
  } finally {
    await m.stop();
  }
});
