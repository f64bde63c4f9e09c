// Backups from real etcd 3.6 restored into etcd-ts with `bin/etcdutl-ts` (the other direction of
// snapshot-to-etcd.test.ts). A real etcd writes a history (several revisions of a key, deletions,
// a lease with keys, a compaction, auth with a prefix-limited user) and `etcdctl snapshot save`s
// it. `etcdutl-ts snapshot status` prints what `etcdutl snapshot status` prints, in every format,
// for that file and for one saved from etcd-ts. `etcdutl-ts snapshot restore` builds an etcd-ts
// data dir on which etcd-ts serves the same keys, revisions, compaction point, auth and lease as
// the source etcd; --bump-revision/--mark-compacted behaves as etcdutl + etcd do; three members
// restored from one file form a cluster that survives losing its leader; and bad inputs get
// etcdutl's exit code and `Error:` line while leaving the target data dir alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';
import { startProcessMember, type ProcessMember } from '../helpers/process-member';
import { status } from '../helpers/cluster';
import { freePort } from '../helpers/ports';
import { repoRoot, run, runEtcdctl, toolPath, withoutClientLogs, type RunResult } from '../helpers/tools';

const ROOT = ['--user', 'root:rootpw'];
const ALICE = ['--user', 'alice:alicepw'];
const COMPACT_REV = 6;
const COMPACTED = 'Error: etcdserver: mvcc: required revision has been compacted';

let tmp = '';
let source: RunningMember | undefined;
/** The snapshot of the source etcd, saved as root. */
let srcFile = '';
let leaseHex = '';
const started: ProcessMember[] = [];

// ---- etcdctl JSON, with the uint64 / int64 fields (ids, lease ids) kept exact as strings ----

function parseJson<T>(s: string): T {
  return JSON.parse(s.replace(/(":\s*)(-?\d{16,})/g, '$1"$2"')) as T;
}

interface Range {
  header: { revision: number };
  kvs?: object[];
  count?: number;
}

async function ctl(endpoint: string, args: string[], user: string[] = ROOT): Promise<RunResult> {
  const r = await runEtcdctl(endpoint, [...user, ...args]);
  assert.equal(r.code, 0, `etcdctl ${args.join(' ')} at ${endpoint}: ${r.stderr}`);
  return r;
}

async function range(endpoint: string, args: string[], user: string[] = ROOT): Promise<Range> {
  return parseJson<Range>((await ctl(endpoint, ['get', ...args, '-w', 'json'], user)).stdout);
}

/** The exit code and the error line of a command expected to fail (clientv3's zap lines dropped). */
async function failing(endpoint: string, args: string[], user: string[] = ROOT): Promise<{ code: number; error: string }> {
  const r = await runEtcdctl(endpoint, [...user, ...args]);
  return { code: r.code, error: withoutClientLogs(r.stderr).trim() };
}

function etcdutl(args: string[]): Promise<RunResult> {
  return run(toolPath('etcdutl'), args, { timeoutMs: 20_000 });
}

function etcdutlTs(args: string[]): Promise<RunResult> {
  return run(process.execPath, [path.join(repoRoot(), 'bin', 'etcdutl-ts'), ...args], { timeoutMs: 20_000 });
}

/** The `Error: ...` line(s) of stderr: etcdutl also writes zap log lines (and panics) there. */
function errorLine(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('Error:'))
    .join('\n');
}

/** Relative paths under dir with their contents' sha256 (directories as "dir/"); [] if absent. */
function snapshotDir(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((p) => {
      const full = path.join(dir, p);
      return fs.statSync(full).isDirectory() ? `${p}/` : `${p} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`;
    })
    .sort();
}

async function save(endpoint: string, file: string): Promise<void> {
  const r = await runEtcdctl(endpoint, [...ROOT, 'snapshot', 'save', file]);
  assert.equal(r.code, 0, `etcdctl snapshot save: ${r.stderr}`);
}

interface Restore {
  name: string;
  peerPort: number;
  clientPort: number;
  dataDir: string;
  peerUrl: string;
}

/** Free ports and a data dir path for a member to be restored under `label`. */
async function slot(name: string, label: string): Promise<Restore> {
  const peerPort = await freePort();
  const clientPort = await freePort();
  return { name, peerPort, clientPort, dataDir: path.join(tmp, label), peerUrl: `http://127.0.0.1:${peerPort}` };
}

function restoreArgs(file: string, r: Restore, cluster: string, extra: string[] = []): string[] {
  return [
    'snapshot',
    'restore',
    file,
    '--data-dir',
    r.dataDir,
    '--name',
    r.name,
    '--initial-cluster',
    cluster,
    '--initial-cluster-token',
    'tok',
    '--initial-advertise-peer-urls',
    r.peerUrl,
    ...extra,
  ];
}

/** Starts a server (etcd-ts, or `binary`) on a restored data dir, with the restore's name, peer URL and cluster. */
async function startOn(r: Restore, cluster: string, binary?: string): Promise<ProcessMember> {
  const m = await startProcessMember({
    dataDir: r.dataDir,
    name: r.name,
    clientPort: r.clientPort,
    peerPort: r.peerPort,
    extraArgs: ['--initial-cluster', cluster, '--initial-cluster-token', 'tok', ...(binary !== undefined ? ['--log-level=warn'] : [])],
    ...(binary !== undefined ? { binary } : {}),
  });
  started.push(m);
  return m;
}

/**
 * The index of the member of `which` that reports itself leader (`endpoint status`: leader ==
 * member_id), waiting up to 15 s. (startProcessMember counts a member as up once Status refuses
 * it for want of a user: with auth enabled that says nothing about a leader.)
 */
async function leaderOf(which: ProcessMember[]): Promise<number> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    for (let i = 0; i < which.length; i++) {
      const st = await status(which[i]!.endpoint, ROOT);
      if (st !== undefined && st.leader !== '0' && st.leader === st.memberId) return i;
    }
    assert.ok(Date.now() < deadline, 'no leader in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The source's answers to compare a restored member with. */
interface View {
  revision: number;
  kvs: object[];
  auth: { enabled: boolean; authRevision: number };
  alice: object[];
  leaseKeys: string[];
}

async function view(endpoint: string): Promise<View> {
  const all = await range(endpoint, ['', '--prefix']);
  const auth = parseJson<{ enabled: boolean; authRevision: number }>((await ctl(endpoint, ['auth', 'status', '-w', 'json'])).stdout);
  const alice = await range(endpoint, ['alice/', '--prefix'], ALICE);
  const ttl = parseJson<{ keys?: string[] }>((await ctl(endpoint, ['lease', 'timetolive', leaseHex, '--keys', '-w', 'json'])).stdout);
  return {
    revision: all.header.revision,
    kvs: all.kvs ?? [],
    auth: { enabled: auth.enabled, authRevision: auth.authRevision },
    alice: alice.kvs ?? [],
    leaseKeys: (ttl.keys ?? []).map((k) => Buffer.from(k, 'base64').toString()).sort(),
  };
}

let want: View | undefined;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-to-etcd-ts-'));
  source = await startRealEtcd({ name: 'src' });
  const ep = source.endpoint;
  const put = (k: string, v: string, ...rest: string[]) => ctl(ep, ['put', k, v, ...rest], []);
  await put('a/1', 'one-1'); // 2
  await put('a/1', 'one-2'); // 3
  await put('a/2', 'two-1'); // 4
  await put('alice/x', 'ax-1'); // 5
  await put('a/1', 'one-3'); // 6
  await ctl(ep, ['del', 'a/2'], []); // 7
  await put('gone', 'soon'); // 8
  await ctl(ep, ['del', 'gone'], []); // 9
  const grant = await ctl(ep, ['lease', 'grant', '300'], []);
  leaseHex = /lease ([0-9a-f]+) granted/.exec(grant.stdout)?.[1] ?? '';
  assert.notEqual(leaseHex, '', grant.stdout);
  await put('l/1', 'leased-1', `--lease=${leaseHex}`); // 10
  await put('l/2', 'leased-2', `--lease=${leaseHex}`); // 11
  await put('alice/y', 'ay-1'); // 12
  await put('alice/x', 'ax-2'); // 13
  assert.equal((await ctl(ep, ['compact', String(COMPACT_REV)], [])).stdout.trim(), `compacted revision ${COMPACT_REV}`);
  await put('a/2', 'two-2'); // 14
  await put('z', 'last'); // 15
  for (const args of [
    ['user', 'add', 'root', '--new-user-password=rootpw'],
    ['user', 'grant-role', 'root', 'root'],
    ['user', 'add', 'alice', '--new-user-password=alicepw'],
    ['role', 'add', 'alice-reader'],
    ['role', 'grant-permission', 'alice-reader', 'read', 'alice/', '--prefix'],
    ['user', 'grant-role', 'alice', 'alice-reader'],
    ['auth', 'enable'],
  ])
    await ctl(ep, args, []);
  srcFile = path.join(tmp, 'src.db');
  await save(ep, srcFile);
  want = await view(ep);
  assert.equal(want.revision, 15);
});

after(async () => {
  await Promise.all(started.map((m) => m.kill('SIGKILL')));
  await source?.stop();
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

async function sameStatus(file: string): Promise<void> {
  for (const w of ['simple', 'json', 'table']) {
    const [theirs, ours] = await Promise.all([
      etcdutl(['snapshot', 'status', file, '-w', w]),
      etcdutlTs(['snapshot', 'status', file, '-w', w]),
    ]);
    assert.equal(theirs.code, 0, theirs.stderr);
    assert.deepEqual({ code: ours.code, stdout: ours.stdout }, { code: 0, stdout: theirs.stdout }, `snapshot status -w ${w} ${file}`);
  }
}

test(
  'etcd 3.6 snapshot → etcdutl-ts status / restore → etcd-ts serves the same keys, revisions, compaction, auth and lease',
  { timeout: 40_000 },
  async (t) => {
    assert.ok(source && want);
    await sameStatus(srcFile);

    const r = await slot('r1', 'r1.etcd');
    const cluster = `r1=${r.peerUrl}`;
    const res = await etcdutlTs(restoreArgs(srcFile, r, cluster));
    assert.equal(res.code, 0, res.stderr);
    const m = await startOn(r, cluster);
    await leaderOf([m]);
    const got = await view(m.endpoint);
    assert.deepEqual(got, want);
    assert.deepEqual(got.leaseKeys, ['l/1', 'l/2']);
    assert.deepEqual(got.auth, { enabled: true, authRevision: want.auth.authRevision });

    // History: at and above the compaction point as on the source; below it, compacted.
    for (const rev of [COMPACT_REV, 9, 12]) {
      assert.deepEqual(
        (await range(m.endpoint, ['', '--prefix', `--rev=${rev}`])).kvs,
        (await range(source.endpoint, ['', '--prefix', `--rev=${rev}`])).kvs,
        `--rev=${rev}`,
      );
    }
    for (const rev of [2, COMPACT_REV - 1]) {
      assert.deepEqual(await failing(m.endpoint, ['get', 'a/1', `--rev=${rev}`]), { code: 1, error: COMPACTED });
      assert.deepEqual(await failing(source.endpoint, ['get', 'a/1', `--rev=${rev}`]), { code: 1, error: COMPACTED });
    }

    // Auth: alice reads her prefix and nothing else; no user, no access.
    assert.equal((await ctl(m.endpoint, ['get', 'alice/x', '--print-value-only'], ALICE)).stdout, 'ax-2\n');
    for (const ep of [m.endpoint, source.endpoint]) {
      assert.deepEqual(await failing(ep, ['get', 'a/1'], ALICE), { code: 1, error: 'Error: etcdserver: permission denied' });
      assert.deepEqual(await failing(ep, ['put', 'alice/x', 'no'], ALICE), { code: 1, error: 'Error: etcdserver: permission denied' });
    }
    assert.deepEqual(
      await failing(m.endpoint, ['get', 'a/1'], ['--user', 'alice:wrong']),
      await failing(source.endpoint, ['get', 'a/1'], ['--user', 'alice:wrong']),
    );

    const ttl = parseJson<{ ttl: number; 'granted-ttl': number }>(
      (await ctl(m.endpoint, ['lease', 'timetolive', leaseHex, '--keys', '-w', 'json'])).stdout,
    );
    t.diagnostic(`restored lease ${leaseHex}: ttl ${ttl.ttl} granted ${ttl['granted-ttl']}`);
    assert.equal(ttl['granted-ttl'], 300);
    assert.ok(ttl.ttl > 200 && ttl.ttl <= 300, `ttl ${ttl.ttl}`);
    assert.equal((await ctl(m.endpoint, ['lease', 'list'])).stdout, `found 1 leases\n${leaseHex}\n`);

    const put = parseJson<Range>((await ctl(m.endpoint, ['put', 'next', 'x', '-w', 'json'])).stdout);
    assert.equal(put.header.revision, want.revision + 1);

    // A file saved from etcd-ts: the same status from both tools.
    const tsFile = path.join(tmp, 'from-etcd-ts.db');
    await save(m.endpoint, tsFile);
    await sameStatus(tsFile);
    t.diagnostic(`status of the etcd-ts file: ${(await etcdutlTs(['snapshot', 'status', tsFile, '-w', 'json'])).stdout.trim()}`);
    await m.kill('SIGKILL');
  },
);

test('--bump-revision 1000 --mark-compacted: etcd-ts after etcdutl-ts behaves as etcd after etcdutl', { timeout: 40_000 }, async (t) => {
  assert.ok(want);
  const w = want;
  const bump = ['--bump-revision', '1000', '--mark-compacted'];
  const theirs = await slot('b1', 'bump-etcd.etcd');
  const ours = await slot('b1', 'bump-ts.etcd');
  const rt = await etcdutl(restoreArgs(srcFile, theirs, `b1=${theirs.peerUrl}`, bump));
  assert.equal(rt.code, 0, rt.stderr);
  const ro = await etcdutlTs(restoreArgs(srcFile, ours, `b1=${ours.peerUrl}`, bump));
  assert.equal(ro.code, 0, ro.stderr);
  const [etcd, ts] = await Promise.all([startOn(theirs, `b1=${theirs.peerUrl}`, toolPath('etcd')), startOn(ours, `b1=${ours.peerUrl}`)]);
  await Promise.all([leaderOf([etcd]), leaderOf([ts])]);
  const bumped = w.revision + 1000;
  const probe = async (ep: string) => {
    const all = await range(ep, ['', '--prefix']);
    const revs: Record<number, { code: number; stdout: string; error: string }> = {};
    for (const rev of [2, COMPACT_REV, w.revision, w.revision + 1, w.revision + 500, bumped - 1, bumped, bumped + 1]) {
      const r = await runEtcdctl(ep, [...ROOT, 'get', 'a/1', `--rev=${rev}`]);
      revs[rev] = { code: r.code, stdout: r.stdout, error: withoutClientLogs(r.stderr).trim() };
    }
    const put = parseJson<Range>((await ctl(ep, ['put', 'after-bump', 'x', '-w', 'json'])).stdout);
    const atBumped = await range(ep, ['', '--prefix', `--rev=${bumped}`]);
    return { revision: all.header.revision, kvs: all.kvs, revs, put: put.header.revision, atBumped: atBumped.kvs };
  };
  const [pe, pt] = await Promise.all([probe(etcd.endpoint), probe(ts.endpoint)]);
  t.diagnostic(`etcd after etcdutl --bump-revision: revision ${pe.revision}, next put ${pe.put}`);
  assert.deepEqual(pt, pe);
  assert.equal(pt.put, bumped + 1);
  assert.deepEqual(pt.revs[want.revision], { code: 1, stdout: '', error: COMPACTED });
  await Promise.all([etcd.kill('SIGKILL'), ts.kill('SIGKILL')]);
});

test('three etcd-ts members restored from one snapshot form a cluster that survives losing its leader', { timeout: 60_000 }, async (t) => {
  assert.ok(want);
  const slots = await Promise.all([1, 2, 3].map((i) => slot(`m${i}`, `m${i}.etcd`)));
  const cluster = slots.map((s) => `${s.name}=${s.peerUrl}`).join(',');
  for (const s of slots) {
    const r = await etcdutlTs(restoreArgs(srcFile, s, cluster));
    assert.equal(r.code, 0, r.stderr);
  }
  const members = await Promise.all(slots.map((s) => startOn(s, cluster)));
  const first = await leaderOf(members);
  t.diagnostic(`leader: ${members[first]!.name}`);
  for (const m of members) {
    const list = parseJson<{ members: { name: string; peerURLs: string[] }[] }>(
      (await ctl(m.endpoint, ['member', 'list', '-w', 'json'])).stdout,
    );
    assert.deepEqual(
      list.members.map((x) => `${x.name}=${x.peerURLs.join(',')}`).sort(),
      slots.map((x) => `${x.name}=${x.peerUrl}`).sort(),
      `member list at ${m.name}`,
    );
  }
  for (const m of members) {
    const all = await range(m.endpoint, ['', '--prefix']);
    assert.deepEqual({ revision: all.header.revision, kvs: all.kvs }, { revision: want.revision, kvs: want.kvs }, m.name);
  }

  const li = await leaderOf(members);
  t.diagnostic(`leader now: ${members[li]!.name}; killing it`);
  await members[li]!.kill('SIGKILL');
  const rest = members.filter((_, i) => i !== li);
  const nl = await leaderOf(rest);
  t.diagnostic(`new leader: ${rest[nl]!.name}`);

  const deadline = Date.now() + 15_000;
  let put: RunResult;
  for (;;) {
    put = await runEtcdctl(rest.map((m) => m.endpoint).join(','), [...ROOT, 'put', 'after-failover', 'ok', '-w', 'json']);
    if (put.code === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(put.code, 0, put.stderr);
  assert.equal(parseJson<Range>(put.stdout).header.revision, want.revision + 1);
  for (const m of rest) {
    const all = await range(m.endpoint, ['', '--prefix']);
    assert.equal(all.header.revision, want.revision + 1);
    const kvs = (all.kvs ?? []) as { key: string }[];
    assert.deepEqual(
      kvs.filter((kv) => kv.key !== Buffer.from('after-failover').toString('base64')),
      want.kvs,
      m.name,
    );
    assert.equal(kvs.length, want.kvs.length + 1);
    assert.deepEqual(await failing(m.endpoint, ['get', 'a/1', '--rev=2']), { code: 1, error: COMPACTED });
  }
  await Promise.all(rest.map((m) => m.kill('SIGKILL')));
});

test('bad inputs: etcdutl-ts exits and errs as etcdutl does and leaves the target data dir alone', { timeout: 40_000 }, async (t) => {
  const src = fs.readFileSync(srcFile);
  const file = (label: string, b: Buffer): string => {
    const f = path.join(tmp, `${label}.db`);
    fs.writeFileSync(f, b);
    return f;
  };
  const flipped = Buffer.from(src);
  flipped[flipped.length - 40]! ^= 0xff; // in the bbolt file's last page, before the SHA-256
  const random32 = crypto.randomBytes(512 * 40 + 32);
  const random = crypto.randomBytes(512 * 40 + 100);
  assert.equal(random32.length % 512, 32);
  assert.notEqual(random.length % 512, 32);
  const nonEmpty = path.join(tmp, 'non-empty');
  fs.mkdirSync(path.join(nonEmpty, 'member'), { recursive: true });
  fs.writeFileSync(path.join(nonEmpty, 'keep.txt'), 'mine\n');
  const nonEmptyBefore = snapshotDir(nonEmpty);

  const cases: { label: string; file: string; extra?: string[]; dataDir?: string; code: number; error: RegExp | string }[] = [
    {
      label: 'truncated',
      file: file('truncated', src.subarray(0, Math.floor(src.length / 2))),
      code: 1,
      error: 'Error: snapshot missing hash but --skip-hash-check=false',
    },
    { label: 'flipped', file: file('flipped', flipped), code: 1, error: /^Error: expected sha256 \[[\d ]+\], got \[[\d ]+\]$/ },
    { label: 'random-32', file: file('random-32', random32), code: 1, error: /^Error: expected sha256 \[[\d ]+\], got \[[\d ]+\]$/ },
    { label: 'random', file: file('random', random), code: 1, error: 'Error: snapshot missing hash but --skip-hash-check=false' },
    {
      label: 'missing',
      file: path.join(tmp, 'no-such.db'),
      code: 1,
      error: `Error: open ${path.join(tmp, 'no-such.db')}: no such file or directory`,
    },
    {
      label: 'non-empty-data-dir',
      file: srcFile,
      dataDir: nonEmpty,
      code: 1,
      error: `Error: data-dir "${nonEmpty}" not empty or could not be read`,
    },
    {
      label: 'bump-without-mark',
      file: srcFile,
      extra: ['--bump-revision', '5'],
      code: 128,
      error: 'Error: --mark-compacted required if --revision-bump > 0',
    },
  ];
  const mismatches: string[] = [];
  for (const c of cases) {
    const attempt = async (tool: typeof etcdutl, who: string) => {
      const s: Restore = { ...(await slot('x1', `bad-${c.label}-${who}`)), ...(c.dataDir !== undefined ? { dataDir: c.dataDir } : {}) };
      const r = await tool(restoreArgs(c.file, s, `x1=${s.peerUrl}`, c.extra));
      return { code: r.code, error: errorLine(r.stderr), dataDir: s.dataDir, stderr: r.stderr };
    };
    const theirs = await attempt(etcdutl, 'etcdutl');
    const ours = await attempt(etcdutlTs, 'etcdutl-ts');
    t.diagnostic(
      `${c.label}: etcdutl ${theirs.code} ${JSON.stringify(theirs.error)} | etcdutl-ts ${ours.code} ${JSON.stringify(ours.error)}`,
    );
    if (typeof c.error === 'string') assert.equal(theirs.error, c.error, `${c.label}: etcdutl: ${theirs.stderr}`);
    else assert.match(theirs.error, c.error, `${c.label}: etcdutl: ${theirs.stderr}`);
    assert.equal(theirs.code, c.code, `${c.label}: etcdutl exit`);
    if (ours.code !== theirs.code || ours.error !== theirs.error)
      mismatches.push(`${c.label}: etcdutl ${theirs.code} ${theirs.error} | etcdutl-ts ${ours.code} ${ours.stderr}`);
    // Ours writes nothing: a fresh target stays absent, the non-empty one as it was.
    if (c.dataDir === undefined) assert.equal(fs.existsSync(ours.dataDir), false, `${c.label}: etcdutl-ts left ${ours.dataDir}`);
  }
  assert.deepEqual(snapshotDir(nonEmpty), nonEmptyBefore);
  assert.deepEqual(mismatches, []);

  // `snapshot status` of a missing file, for the record.
  const missing = path.join(tmp, 'no-such.db');
  const [st, stOurs] = await Promise.all([etcdutl(['snapshot', 'status', missing]), etcdutlTs(['snapshot', 'status', missing])]);
  assert.deepEqual({ code: stOurs.code, error: errorLine(stOurs.stderr) }, { code: st.code, error: errorLine(st.stderr) });
  assert.equal(st.code, 1);
});
