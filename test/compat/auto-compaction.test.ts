/**
 * --auto-compaction-mode=periodic --auto-compaction-retention=2s, side by side with a real etcd
 * 3.6 started with the same flags: under a steady stream of puts, the revisions older than the
 * window become `etcdserver: mvcc: required revision has been compacted` while recent ones stay
 * readable, and both log "completed auto periodic compaction". Without the flags nothing is
 * compacted. (Revision mode checks every 5 minutes, as etcd's does: its schedule is covered by
 * test/server/auto-compactor.test.ts with a fake clock.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { runEtcdctl, toolPath, withoutClientLogs } from '../helpers/tools';

const COMPACTED = 'etcdserver: mvcc: required revision has been compacted';

async function revisionOf(endpoint: string, key: string): Promise<number> {
  const r = await runEtcdctl(endpoint, ['put', key, 'v', '-w', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return Number(JSON.parse(r.stdout).header.revision);
}

/** Puts for `ms` (one every ~100 ms) and returns the last revision written. */
async function writeFor(endpoint: string, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let rev = 0;
  for (let i = 0; performance.now() < until; i++) {
    rev = await revisionOf(endpoint, `k${i % 10}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return rev;
}

async function scenario(binary: string | undefined, flags: string[]): Promise<{ old: string; recent: number; log: string }> {
  const m: ProcessMember = await startProcessMember({ ...(binary ? { binary: toolPath(binary) } : {}), extraArgs: flags });
  try {
    const first = await revisionOf(m.clientUrl, 'a');
    // Period 2 s: samples every 200 ms; compactions at about 2 s and 4 s after the start, the
    // second one to the revision of about 2.2 s before it, after `first`.
    const last = await writeFor(m.clientUrl, 5500);
    const old = await runEtcdctl(m.clientUrl, ['get', 'a', `--rev=${first}`]);
    const recent = await runEtcdctl(m.clientUrl, ['get', 'k', '--prefix', '--keys-only', `--rev=${last - 2}`]);
    assert.equal(recent.code, 0, `a recent revision is readable: ${recent.stderr}`);
    return {
      old: old.code === 0 ? 'readable' : withoutClientLogs(old.stderr).trim(),
      recent: recent.stdout.split('\n').filter(Boolean).length,
      log: m.stderr(),
    };
  } finally {
    await m.stop();
  }
}

const FLAGS = ['--auto-compaction-mode=periodic', '--auto-compaction-retention=2s', '--log-level=info'];

test('periodic auto-compaction (2 s): old revisions compacted, recent ones kept, as etcd 3.6 does', { timeout: 120_000 }, async () => {
  const etcd = await scenario('etcd', FLAGS);
  const ts = await scenario(undefined, FLAGS);
  for (const [who, r] of [
    ['etcd', etcd],
    ['etcd-ts', ts],
  ] as const) {
    assert.match(r.old, new RegExp(`Error: ${COMPACTED}`), `${who}: the first revision is compacted`);
    assert.ok(r.recent > 0, `${who}: recent keys`);
    assert.match(r.log, /"msg":"starting auto periodic compaction"/, `${who} logs the start`);
    assert.match(r.log, /"msg":"completed auto periodic compaction"/, `${who} logs the completion`);
  }
  assert.equal(ts.old, etcd.old);
  assert.match(ts.log, /"compact-period":"2s"/);
});

test('without --auto-compaction-retention nothing is compacted', { timeout: 60_000 }, async () => {
  const r = await scenario(undefined, ['--auto-compaction-mode=periodic']);
  assert.equal(r.old, 'readable');
  assert.doesNotMatch(r.log, /auto periodic compaction/);
});
