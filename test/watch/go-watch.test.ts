// The Go clientv3 watch tests (test/go/watch, built as .tools/bin/watch.test) against real etcd
// 3.6 and etcd-ts, both with a 500 ms progress-notify interval, including the resume-after-restart
// test, which this file orchestrates: it restarts the server when the Go test asks, writes keys
// with etcdctl while the client is reconnecting, and then lets the Go test continue.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goTestFailures, runEtcdctl, runGoTest, toolPath } from '../helpers/tools';
import { PROGRESS_MS, restartableTargets, type Restartable } from './restartable';

/** Runs the resume test, restarting `srv` when it prints WATCH-RESTART-NOW. */
function runResume(srv: Restartable): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'watch-restart-'));
  return new Promise((resolve, reject) => {
    const child = spawn(toolPath('watch.test'), ['-test.v', '-test.count=1', '-test.run', '^TestResumeAfterRestart$'], {
      env: { ...process.env, ETCD_ENDPOINTS: srv.endpoint, WATCH_RESTART_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let restarting = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const onData = (d: string): void => {
      output += d;
      if (restarting || !output.includes('WATCH-RESTART-NOW')) return;
      restarting = true;
      const p = /WATCH-PREFIX (\S+)/.exec(output)![1]!;
      (async () => {
        await srv.restart();
        for (let i = 0; i < 5; i++) {
          const r = await runEtcdctl(srv.endpoint, ['put', `${p}k`, `during-${i}`]);
          if (r.code !== 0) throw new Error(`etcdctl put failed: ${r.stderr}`);
        }
        writeFileSync(join(dir, 'restarted'), p);
      })().catch((e: unknown) => {
        output += `\norchestrator: ${String(e)}\n`;
        child.kill('SIGKILL');
      });
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? 1, output });
    });
  });
}

// TestProgressNotify reads the servers' interval from here (runGoTest passes the environment on).
process.env.WATCH_PROGRESS_NOTIFY_INTERVAL = `${PROGRESS_MS}ms`;

for (const target of restartableTargets()) {
  describe(`Go clientv3 watch tests against ${target.label}`, () => {
    let srv: Restartable | undefined;
    before(async () => {
      srv = await target.start();
    });
    after(async () => {
      await srv?.stop();
    });

    test('watch.test', async () => {
      const r = await runGoTest('watch.test', srv!.endpoint, [], { timeoutMs: 180_000 });
      assert.equal(r.code, 0, `watch.test failed against ${target.label}:\n${goTestFailures(r.output)}`);
      assert.match(r.output, /^PASS$/m);
    });

    test('resume after a server restart: no gap, no duplicate', async () => {
      const r = await runResume(srv!);
      assert.equal(r.code, 0, `resume test failed against ${target.label}:\n${goTestFailures(r.output)}`);
      assert.match(r.output, /--- PASS: TestResumeAfterRestart/);
    });
  });
}
