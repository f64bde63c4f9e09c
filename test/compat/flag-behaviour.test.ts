/**
 * Flags that change behaviour, each shown side by side with a real etcd 3.6 started with the same
 * flags: --max-txn-ops (a larger Txn is refused with etcd's error), --log-level (info lines only
 * at info), --initial-cluster-token (the member and cluster ids derive from it, identically to
 * etcd's), --unsafe-no-fsync (writes add no WAL fsync in /metrics).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { freePort } from '../helpers/ports';
import { runEtcdctl, toolPath, withoutClientLogs } from '../helpers/tools';

async function withMember<T>(
  binary: 'etcd' | 'etcd-ts',
  args: string[],
  f: (m: ProcessMember) => Promise<T>,
  ports?: [number, number],
): Promise<T> {
  const m = await startProcessMember({
    ...(binary === 'etcd' ? { binary: toolPath('etcd') } : {}),
    ...(ports ? { clientPort: ports[0], peerPort: ports[1] } : {}),
    extraArgs: args,
  });
  try {
    return await f(m);
  } finally {
    await m.stop();
  }
}

const both = ['etcd', 'etcd-ts'] as const;

test('--max-txn-ops: a Txn with more operations is refused as etcd refuses it', { timeout: 120_000 }, async () => {
  const txn = 'put a 1\nput b 2\nput c 3\n\n\n';
  const answers: string[] = [];
  for (const b of both) {
    answers.push(
      await withMember(b, ['--max-txn-ops=2'], async (m) => {
        const r = await runEtcdctl(m.clientUrl, ['txn'], { stdin: `\n${txn}` });
        assert.notEqual(r.code, 0, `${b}: three operations over a limit of two`);
        const ok = await runEtcdctl(m.clientUrl, ['txn'], { stdin: '\nput a 1\nput b 2\n\n\n' });
        assert.equal(ok.code, 0, `${b}: two operations fit: ${ok.stderr}`);
        return withoutClientLogs(r.stderr).trim();
      }),
    );
    const dflt = await withMember(b, [], (m) => runEtcdctl(m.clientUrl, ['txn'], { stdin: `\n${txn}` }));
    assert.equal(dflt.code, 0, `${b}: the default (128) takes three`);
  }
  assert.equal(answers[1], answers[0]);
  assert.match(answers[0]!, /too many operations in txn request/);
});

test('--log-level: info lines only at info and below', { timeout: 120_000 }, async () => {
  for (const b of both) {
    const warn = await withMember(b, ['--log-level=warn'], async (m) => {
      await new Promise((r) => setTimeout(r, 300));
      return m.stderr();
    });
    const info = await withMember(b, ['--log-level=info'], async (m) => {
      await new Promise((r) => setTimeout(r, 300));
      return m.stderr();
    });
    assert.doesNotMatch(warn, /"level":"info"/, `${b} at warn`);
    assert.match(info, /"level":"info"/, `${b} at info`);
  }
});

test('--initial-cluster-token: member and cluster ids derive from it, as etcd derives them', { timeout: 120_000 }, async () => {
  const ids = async (b: 'etcd' | 'etcd-ts', token: string, ports: [number, number]) =>
    withMember(
      b,
      ['--initial-cluster-token', token],
      async (m) => {
        const r = await runEtcdctl(m.clientUrl, ['endpoint', 'status', '-w', 'json']);
        assert.equal(r.code, 0, r.stderr);
        const h = (JSON.parse(r.stdout) as { Status: { header: { cluster_id: string; member_id: string } } }[])[0]!.Status.header;
        return `${h.cluster_id}/${h.member_id}`;
      },
      ports,
    );
  // The peer URL is part of the member id: the same ports for every start.
  const ports: [number, number] = [await freePort(), await freePort()];
  const etcdA = await ids('etcd', 'token-a', ports);
  const tsA = await ids('etcd-ts', 'token-a', ports);
  const tsB = await ids('etcd-ts', 'token-b', ports);
  assert.equal(tsA, etcdA, 'the same flags give the same ids as etcd');
  assert.notEqual(tsB, tsA, 'another token, other ids');
});

test('--unsafe-no-fsync: writes are no longer fsynced (the WAL fsync count stops growing), as in etcd', { timeout: 120_000 }, async () => {
  const fsyncs = async (m: ProcessMember): Promise<number> => {
    const text = await (await fetch(`${m.clientUrl}/metrics`)).text();
    return Number(/^etcd_disk_wal_fsync_duration_seconds_count (\S+)$/m.exec(text)?.[1] ?? 'NaN');
  };
  for (const b of both) {
    for (const [args, synced] of [
      [[], true],
      [['--unsafe-no-fsync'], false],
    ] as const) {
      const [before, after] = await withMember(b, [...args], async (m) => {
        const c0 = await fsyncs(m);
        for (let i = 0; i < 3; i++) assert.equal((await runEtcdctl(m.clientUrl, ['put', `k${i}`, 'v'])).code, 0);
        return [c0, await fsyncs(m)];
      });
      // etcd also counts the fsyncs of creating its WAL, before any write: only the growth is compared.
      if (synced) assert.ok(after! > before!, `${b}: writes fsynced (${before} -> ${after})`);
      else assert.equal(after, before, `${b} with --unsafe-no-fsync: no fsync for the writes`);
    }
  }
});
