// `etcdctl watch` against real etcd 3.6 and etcd-ts: the same commands on the same history must
// print the same output (cluster and member ids normalised: they derive from the random ports).
// Covers a key, --prefix, --rev, --prev-kv, -w json, live events including a multi-key delete
// (one revision = one response), interactive `watch -i` with `progress`, and watching from a
// compacted or negative revision.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningMember } from '../helpers/running-member';
import { runEtcdctl } from '../helpers/tools';
import { targets } from '../compat/targets';
import { startEtcdctl } from './etcdctl-proc';

const SETTLE_MS = 300;
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ctl(ep: string, args: string[]): Promise<void> {
  const r = await runEtcdctl(ep, args);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')}: ${r.stderr}`);
}

interface Case {
  name: string;
  args: string[];
  /** Output is complete when this holds (or the process exited). */
  done: (out: string) => boolean;
  /** Interactive lines, each sent once the previous one's output condition holds. */
  interactive?: { line: string; done: (out: string) => boolean }[];
  /** Writes done while the watch runs (it starts at a future revision, so timing is irrelevant). */
  live?: string[][];
}

const has =
  (s: string) =>
  (out: string): boolean =>
    out.includes(s);

const CASES: Case[] = [
  { name: 'key from rev 1', args: ['watch', 'foo', '--rev=1'], done: has('DELETE\nfoo\n') },
  { name: 'prefix with prev-kv', args: ['watch', 'foo', '--prefix', '--rev=1', '--prev-kv'], done: has('foo/b\n2\n') },
  { name: 'json', args: ['watch', 'foo', '--rev=2', '-w', 'json'], done: has('"mod_revision":5') },
  {
    name: 'json prefix with prev-kv',
    args: ['watch', 'fo', '--prefix', '--rev=3', '--prev-kv', '-w', 'json'],
    done: has('"mod_revision":7'),
  },
  { name: 'range end', args: ['watch', 'foo/', 'foo/b', '--rev=1'], done: has('foo/a\n1\n') },
  {
    name: 'live, one revision with two deletes',
    args: ['watch', 'foo', '--prefix', '--rev=8'],
    live: [
      ['put', 'foo/c', '3'],
      ['del', 'foo/', '--prefix'],
    ],
    done: has('DELETE\nfoo/c\n'),
  },
  {
    name: 'live json',
    args: ['watch', 'foo', '--prefix', '--rev=10', '-w', 'json'],
    live: [['put', 'foo/d', '4']],
    done: has('"mod_revision":10'),
  },
  {
    name: 'interactive with progress',
    args: ['watch', '-i'],
    done: () => true,
    interactive: [
      { line: 'watch foo --rev=2', done: has('DELETE\nfoo\n') },
      { line: 'progress', done: has('progress notify:') },
      { line: 'watch fop --rev=1', done: has('fop\nx\n') },
    ],
  },
  {
    name: 'interactive json with progress',
    args: ['watch', '-i', '-w', 'json'],
    done: () => true,
    interactive: [
      { line: 'watch fop --rev=1', done: has('"mod_revision":6') },
      { line: 'progress', done: (o) => o.split('"Events":[]').length >= 2 },
    ],
  },
];

const COMPACTED: Case[] = [
  { name: 'compacted revision', args: ['watch', 'foo', '--rev=2'], done: () => false },
  { name: 'compacted revision json', args: ['watch', 'foo', '--rev=2', '-w', 'json'], done: () => false },
  { name: 'at the compact revision', args: ['watch', 'foo', '--prefix', '--rev=4'], done: has('foo/d\n4\n') },
  { name: 'negative revision', args: ['watch', 'foo', '--rev=-3'], done: () => false },
];

function normalise(s: string): string {
  return s
    .replace(/"cluster_id":\d+/g, '"cluster_id":<id>')
    .replace(/"member_id":\d+/g, '"member_id":<id>')
    .split('\n')
    .filter((l) => !l.startsWith('{"level":'))
    .join('\n');
}

async function runCase(ep: string, c: Case): Promise<string> {
  const p = startEtcdctl(ep, c.args);
  for (const step of c.interactive ?? []) {
    p.send(step.line);
    await p.until(step.done);
  }
  for (const w of c.live ?? []) await ctl(ep, w);
  await p.until(c.done);
  await Promise.race([p.exited(), delay(SETTLE_MS)]);
  const r = await p.stop();
  const code = r.code === null ? 'killed' : String(r.code);
  return normalise(`$ etcdctl ${c.args.join(' ')}\n${r.stdout}--- stderr\n${r.stderr}--- exit ${code}\n`);
}

async function transcript(ep: string): Promise<string> {
  for (const a of [
    ['put', 'foo', 'bar'],
    ['put', 'foo', 'baz'],
    ['put', 'foo/a', '1'],
    ['del', 'foo'],
    ['put', 'fop', 'x'],
    ['put', 'foo/b', '2'],
  ]) {
    await ctl(ep, a);
  }
  let out = '';
  for (const c of CASES) out += await runCase(ep, c);
  await ctl(ep, ['compaction', '4']);
  for (const c of COMPACTED) out += await runCase(ep, c);
  return out;
}

describe('etcdctl watch: etcd-ts prints what real etcd 3.6 prints', () => {
  const results = new Map<string, string>();
  const members: RunningMember[] = [];
  before(async () => {
    for (const t of targets()) {
      const m = await t.start();
      members.push(m);
      results.set(t.label, await transcript(m.endpoint));
    }
  });
  after(async () => {
    for (const m of members) await m.stop();
  });

  test('same transcript', () => {
    const [a, b] = [...results.values()];
    if (process.env.WATCH_PRINT_TRANSCRIPT) console.log(a);
    assert.ok(a !== undefined && a.includes('progress notify:') && a.includes('required revision has been compacted'), a);
    if (b !== undefined) assert.equal(b, a);
  });
});
