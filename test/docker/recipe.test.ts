/**
 * The etcd docs' `docker run` recipe with the etcd-ts image, for real: the image built without
 * any image registry (docker/build-local.sh), a bridge network 10.110.2.0/24, and the three
 * `docker run` commands of docker/README.md as written, except `--net=host` (replaced by
 * `--network <that network> --ip 10.110.2.9|10|11`: three hosts on one machine), HOST1..3 (those
 * addresses), the host path `/data/etcd` (a named volume per member, as three hosts would each
 * have their own) and the image name (etcd-ts:local). Then: member list from inside a container,
 * a backup with the image's etcdctl snapshot save and etcdutl snapshot status,
 * the clientv3 tutorial program from the host, the leader's container killed and restarted,
 * stop + rm + run on the same volume, the HEALTHCHECK, and docker/compose.yml. Skips, saying why,
 * where no Docker engine can run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRootDir } from '../helpers/process-member';
import { run, runEtcdctl, toolPath } from '../helpers/tools';
import { composeCommand, docker, ensureEngine } from './engine';

const NET = 'etcd-ts-recipe';
const IPS = ['10.110.2.9', '10.110.2.10', '10.110.2.11'];
const NAMES = ['etcd-node-1', 'etcd-node-2', 'etcd-node-3'];
const VOLUMES = NAMES.map((n) => `${NET}-${n}`);
const ENDPOINTS = IPS.map((ip) => `${ip}:2379`).join(',');

/** The `docker run` commands of docker/README.md's first sh block, continuation lines joined. */
function readmeRunCommands(): string[][] {
  const md = fs.readFileSync(path.join(repoRootDir(), 'docker', 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n');
  return lines.filter((l) => l.startsWith('docker run ')).map((l) => l.trim().split(/\s+/).slice(1));
}

/** One README command adapted to three hosts on one machine (see the file comment). */
function adapt(argv: string[], i: number): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    let a = argv[k]!;
    if (a === '--net=host') {
      out.push('--network', NET, '--ip', IPS[i]!);
      continue;
    }
    if (a === '-v' && argv[k + 1] === '/data/etcd:/etcd-data') {
      out.push('-v', `${VOLUMES[i]}:/etcd-data`);
      k++;
      continue;
    }
    if (a === 'etcd-ts') a = 'etcd-ts:local';
    out.push(a.replace(/HOST([123])/g, (_, n: string) => IPS[Number(n) - 1]!));
  }
  return out;
}

async function must(args: string[], timeoutMs = 120_000): Promise<string> {
  const r = await docker(args, timeoutMs);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function cleanup(): Promise<void> {
  await docker(['rm', '-f', ...NAMES]);
  await docker(['network', 'rm', NET]);
  await docker(['volume', 'rm', ...VOLUMES]);
}

interface EndpointStatus {
  Endpoint: string;
  Status: { header: { member_id: number | string; revision: number }; leader: number | string };
}

async function statuses(endpoints: string): Promise<EndpointStatus[] | undefined> {
  const r = await runEtcdctl(endpoints, ['endpoint', 'status', '-w', 'json'], { timeoutMs: 15_000 });
  if (r.code !== 0) return undefined;
  // member ids exceed 2^53: keep them as text.
  return JSON.parse(r.stdout.replace(/"(member_id|leader)":(\d+)/g, '"$1":"$2"')) as EndpointStatus[];
}

async function startedMembers(container: string): Promise<string | undefined> {
  const r = await docker(['exec', container, '/usr/local/bin/etcdctl', 'member', 'list', '-w', 'table']);
  if (r.code !== 0) return undefined;
  return NAMES.every((n) => new RegExp(`\\| started \\| ${n} `).test(r.stdout)) ? r.stdout : undefined;
}

test(
  'the docker run recipe: build, three containers, member list, clientv3, leader kill, restart on its volume, health, compose',
  { timeout: 1_800_000 },
  async (t) => {
    const engine = await ensureEngine();
    if ('skip' in engine) {
      console.log(`# skipped: ${engine.skip}`);
      t.skip(engine.skip);
      return;
    }
    const root = repoRootDir();
    try {
      // 1. The image, without an image registry.
      const t0 = performance.now();
      const build = await run('bash', [path.join(root, 'docker', 'build-local.sh')], { timeoutMs: 1_200_000, cwd: root });
      assert.equal(build.code, 0, build.stderr.slice(-3000));
      const size = Number((await must(['image', 'inspect', '-f', '{{.Size}}', 'etcd-ts:local'])).trim());
      console.log(`# image etcd-ts:local built in ${Math.round((performance.now() - t0) / 1000)} s, ${Math.round(size / 1e6)} MB`);
      const config = JSON.parse(await must(['image', 'inspect', '-f', '{{json .Config}}', 'etcd-ts:local'])) as {
        ExposedPorts: Record<string, unknown>;
        Volumes: Record<string, unknown>;
        Healthcheck?: { Test: string[] };
      };
      assert.deepEqual(Object.keys(config.ExposedPorts).sort(), ['2379/tcp', '2380/tcp']);
      assert.deepEqual(Object.keys(config.Volumes).sort(), ['/etcd-data', '/var/lib/etcd']);
      assert.ok(config.Healthcheck !== undefined, 'a HEALTHCHECK');

      // 2. The three commands of docker/README.md.
      await cleanup();
      await must(['network', 'create', '--subnet', '10.110.2.0/24', NET]);
      const commands = readmeRunCommands();
      assert.equal(commands.length, 3, 'docker/README.md has three docker run commands');
      const adapted = commands.map(adapt);
      const t1 = performance.now();
      for (const argv of adapted) await must(argv);
      const members = await until('three started members', () => startedMembers('etcd-node-1'));
      await until('all three endpoints healthy', async () =>
        (await runEtcdctl(ENDPOINTS, ['endpoint', 'health'], { timeoutMs: 15_000 })).code === 0 ? true : undefined,
      );
      console.log(`# docker run to a healthy three-member cluster: ${Math.round(performance.now() - t1)} ms`);
      console.log(members.trim().replace(/^/gm, '# '));
      const logs = await docker(['logs', 'etcd-node-1']);
      const lines = logs.stderr.split('\n').filter((l) => l !== '');
      assert.ok(lines.length > 0 && logs.stdout === '', 'logs on stderr only');
      for (const l of lines) assert.doesNotThrow(() => JSON.parse(l), `a JSON log line: ${l}`);
      assert.ok(lines.some((l) => l.includes('"msg":"serving client traffic"')));
      // A backup inside the container with the image's etcdctl and etcdutl, as etcd's docs do it.
      assert.equal((await docker(['exec', 'etcd-node-1', '/usr/local/bin/etcdctl', 'put', 'backup-key', 'v'])).code, 0);
      const saved = await docker(['exec', 'etcd-node-1', '/usr/local/bin/etcdctl', 'snapshot', 'save', '/tmp/backup.db']);
      assert.equal(saved.code, 0, saved.stderr);
      const backupStatus = await docker([
        'exec',
        'etcd-node-1',
        '/usr/local/bin/etcdutl',
        'snapshot',
        'status',
        '/tmp/backup.db',
        '-w',
        'json',
      ]);
      assert.equal(backupStatus.code, 0, backupStatus.stderr);
      const backup = JSON.parse(backupStatus.stdout) as { revision: number; totalKey: number };
      assert.ok(backup.revision >= 2 && backup.totalKey >= 1, backupStatus.stdout);

      // 3. The clientv3 tutorial program, from the host, against the three addresses.
      const agent = await run(toolPath('logagent'), [], { env: { ETCD_ENDPOINTS: ENDPOINTS }, timeoutMs: 60_000 });
      assert.equal(agent.code, 0, `${agent.stdout}\n${agent.stderr}`);
      assert.match(agent.stdout, /\/logagent\/conf\/:sample_value/);

      // 4. Kill the leader's container: writes go on through the other two; it comes back and converges.
      const st = await until('endpoint status', () => statuses(ENDPOINTS));
      const leaderIdx = st.findIndex((s) => String(s.Status.header.member_id) === String(s.Status.leader));
      assert.ok(leaderIdx >= 0, 'a leader');
      await must(['kill', NAMES[leaderIdx]!]);
      const others = IPS.filter((_, i) => i !== leaderIdx)
        .map((ip) => `${ip}:2379`)
        .join(',');
      const oldLeader = String(st[leaderIdx]!.Status.leader);
      await until('the other two elect a new leader', async () => {
        const s = await statuses(others);
        return s?.length === 2 && s.every((x) => String(x.Status.leader) !== oldLeader && String(x.Status.leader) !== '0')
          ? true
          : undefined;
      });
      for (let i = 0; i < 20; i++) {
        const r = await runEtcdctl(others, ['put', `/recipe/k${i}`, `v${i}`], { timeoutMs: 20_000 });
        assert.equal(r.code, 0, `write ${i} with the old leader down: ${r.stderr}`);
      }
      await must(['start', NAMES[leaderIdx]!]);
      await until('the old leader converges', async () => {
        const s = await statuses(ENDPOINTS);
        const revs = new Set(s?.map((x) => x.Status.header.revision));
        return s?.length === 3 && revs.size === 1 ? true : undefined;
      });

      // 5. stop + rm + run again on the same volume: the data is still there.
      const node2 = adapted[1]!;
      const t2 = performance.now();
      await must(['stop', NAMES[1]!], 30_000);
      const stopMs = performance.now() - t2;
      assert.equal((await must(['inspect', '-f', '{{.State.ExitCode}}', NAMES[1]!])).trim(), '0', 'SIGTERM is a graceful stop');
      assert.ok(stopMs < 10_000, `docker stop took ${Math.round(stopMs)} ms`);
      await must(['rm', NAMES[1]!]);
      await must(node2);
      const got = await until('the recreated member serves its data', async () => {
        const r = await docker([
          'exec',
          NAMES[1]!,
          '/usr/local/bin/etcdctl',
          'get',
          '/recipe/k19',
          '--print-value-only',
          '--consistency=s',
        ]);
        return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : undefined;
      });
      assert.equal(got, 'v19');
      await until('three started members again', () => startedMembers('etcd-node-2'));

      // 6. The HEALTHCHECK turns healthy on all three.
      await until(
        'HEALTHCHECK healthy on all three',
        async () => {
          for (const n of NAMES) if ((await must(['inspect', '-f', '{{.State.Health.Status}}', n])).trim() !== 'healthy') return undefined;
          return true;
        },
        90_000,
      );
      await cleanup();

      // 7. docker/compose.yml: the same three members.
      const compose = await composeCommand();
      const project = ['-f', path.join(root, 'docker', 'compose.yml'), '-p', 'etcd-ts-compose'];
      const env = { ETCD_TS_IMAGE: 'etcd-ts:local' };
      const up = await run(compose[0]!, [...compose.slice(1), ...project, 'up', '-d', '--no-build'], { env, timeoutMs: 300_000 });
      assert.equal(up.code, 0, up.stderr);
      try {
        await until('compose: three started members', () => startedMembers('etcd-node-1'));
      } finally {
        await run(compose[0]!, [...compose.slice(1), ...project, 'down', '-v'], { env, timeoutMs: 300_000 });
      }
    } finally {
      await cleanup();
      await engine.stop();
    }
  },
);
