/**
 * The robustness harness notices a member that exits by itself (as two 10-minute runs once saw,
 * with nothing in the member's log) instead of hanging on it, and reports its code and signal.
 */
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitWatch, type ExitInfo } from './exit-watch';

function sleeper(): { pid: number; exited: Promise<ExitInfo> } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<ExitInfo>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { pid: child.pid!, exited };
}

test('an exit the harness did not cause is reported with its signal; a kill it announced is not', async () => {
  const w = new ExitWatch();
  const a = sleeper();
  const b = sleeper();
  w.watch(a.pid, 'etcd-node-1', a.exited);
  w.watch(b.pid, 'etcd-node-2', b.exited);

  // b: the harness kills it.
  assert.match(w.reap(b.pid), /killed \(SIGKILL\)/);
  process.kill(b.pid, 'SIGKILL');
  await b.exited;
  // a: something else does.
  process.kill(a.pid, 'SIGSEGV');
  await a.exited;
  await new Promise((r) => setImmediate(r));

  const exits = w.take();
  assert.equal(exits.length, 1, exits.join('\n'));
  assert.match(exits[0]!, /^etcd-node-1 exited by itself \(code null, signal SIGSEGV\)/);
  assert.deepEqual(w.take(), [], 'each exit is reported once');
  assert.match(w.note(a.pid), /exited by itself/, 'the member counts as gone until reaped');
  assert.equal(w.note(b.pid), '');
  // Reaping the gone member ends its log with the exit, not with a kill.
  assert.match(w.reap(a.pid), /exited by itself \(code null, signal SIGSEGV\)/);
  assert.equal(w.note(a.pid), '');
});
