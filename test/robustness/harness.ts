/**
 * Robustness runs: a cluster of 1 or 3 `bin/etcd-ts` members (loopback processes, or network
 * namespace hosts when running as root so partitions can be injected), the Go traffic driver
 * `.tools/bin/robustness` (test/go/cmd/robustness) recording a clientv3 history, and a seeded
 * fault schedule executed while the traffic runs. After the faults the cluster is healed, the
 * driver stops its traffic and checks linearizability (porcupine), the watch guarantees and
 * member consistency. On failure everything needed to look into it is kept in a folder.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProcessCluster, reconfigWhenHealthy } from '../helpers/cluster';
import { HostNetwork, SUBNET, netnsAvailable } from '../helpers/netns';
import { statusReady } from '../helpers/process-member';
import { prng } from '../helpers/prng';
import { ExitWatch } from './exit-watch';
import { run, runEtcdctl, toolPath } from '../helpers/tools';

export type FaultKind = 'kill' | 'kill-leader' | 'stop-cont' | 'partition' | 'move-leader' | 'replace-member';
export const ALL_FAULTS: FaultKind[] = ['kill', 'kill-leader', 'stop-cont', 'partition', 'move-leader', 'replace-member'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a fault needs from a cluster, over loopback processes or namespace hosts. */
interface RCluster {
  readonly n: number;
  readonly partitions: boolean;
  endpoint(i: number): string;
  peerUrl(i: number): string;
  name(i: number): string;
  running(i: number): boolean;
  pid(i: number): number | undefined;
  /** Starts member i and waits until it answers Status with a leader. */
  start(i: number, state: 'new' | 'existing'): Promise<void>;
  kill(i: number): Promise<void>;
  wipe(i: number): void;
  cut(i: number, down: boolean): Promise<void>;
  logs(i: number): string;
  /**
   * Members that exited without the harness killing them, since the last call: each as
   * "name exited by itself (code, signal)". Such a member counts as not running, so healing
   * restarts it and the run goes on (and fails).
   */
  takeUnexpectedExits(): string[];
  destroy(): Promise<void>;
}

async function waitReady(endpoint: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await statusReady(endpoint)) return true;
    await sleep(100);
  }
  return false;
}

class LoopbackCluster implements RCluster {
  readonly partitions = false;
  private readonly past: string[];
  private readonly exits = new ExitWatch();
  constructor(private readonly c: ProcessCluster) {
    this.past = c.specs.map(() => '');
  }
  get n(): number {
    return this.c.specs.length;
  }
  endpoint(i: number): string {
    return this.c.endpoint(i);
  }
  peerUrl(i: number): string {
    return `http://127.0.0.1:${this.c.specs[i]!.peerPort}`;
  }
  name(i: number): string {
    return this.c.specs[i]!.name;
  }
  running(i: number): boolean {
    const m = this.c.members[i];
    return m !== undefined && this.exits.note(m.pid) === '';
  }
  pid(i: number): number | undefined {
    return this.c.members[i]?.pid;
  }
  async start(i: number, state: 'new' | 'existing'): Promise<void> {
    if (this.c.members[i] !== undefined) await this.kill(i);
    try {
      const m = await this.c.start(i, state);
      this.exits.watch(m.pid, this.name(i), m.exited);
    } catch (e) {
      this.past[i] += `\n--- start failed: ${String(e)}\n`;
      throw e;
    }
  }
  takeUnexpectedExits(): string[] {
    return this.exits.take();
  }
  async kill(i: number): Promise<void> {
    const m = this.c.members[i];
    if (!m) return;
    const end = this.exits.reap(m.pid);
    try {
      process.kill(m.pid, 'SIGCONT');
    } catch {
      /* gone */
    }
    await this.c.kill(i, 'SIGKILL');
    this.past[i] += m.stderr() + end;
  }
  wipe(i: number): void {
    fs.rmSync(this.c.specs[i]!.dataDir, { recursive: true, force: true });
  }
  async cut(): Promise<void> {
    throw new Error('partitions need network namespaces (root)');
  }
  logs(i: number): string {
    const m = this.c.members[i];
    return this.past[i] + (m ? m.stderr() + this.exits.note(m.pid) : '');
  }
  async destroy(): Promise<void> {
    for (let i = 0; i < this.n; i++) {
      const pid = this.pid(i);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          /* gone */
        }
      }
    }
    await this.c.destroy();
  }
}

class NetnsCluster implements RCluster {
  readonly partitions = true;
  private readonly past: string[];
  private readonly exits = new ExitWatch();
  constructor(private readonly net: HostNetwork) {
    this.past = net.hosts.map(() => '');
  }
  get n(): number {
    return this.net.hosts.length;
  }
  endpoint(i: number): string {
    return this.net.endpoint(i);
  }
  peerUrl(i: number): string {
    return `http://${this.net.hosts[i]!.ip}:2380`;
  }
  name(i: number): string {
    return this.net.hosts[i]!.name;
  }
  running(i: number): boolean {
    const pid = this.pid(i);
    return pid !== undefined && this.exits.note(pid) === '';
  }
  pid(i: number): number | undefined {
    return this.net.hosts[i]!.child?.pid;
  }
  async start(i: number, state: 'new' | 'existing'): Promise<void> {
    await this.kill(i);
    this.past[i] += this.net.hosts[i]!.log;
    this.net.start(i, state);
    const h = this.net.hosts[i]!;
    this.exits.watch(h.child!.pid!, this.name(i), h.exited!);
    if (!(await waitReady(this.endpoint(i), 30_000))) {
      throw new Error(`${this.name(i)} not ready in time`);
    }
  }
  async kill(i: number): Promise<void> {
    const pid = this.pid(i);
    if (pid === undefined) return;
    const end = this.exits.reap(pid);
    this.net.signal(i, 'SIGCONT');
    await this.net.kill(i);
    this.past[i] += this.net.hosts[i]!.log + end;
    this.net.hosts[i]!.log = '';
  }
  wipe(i: number): void {
    fs.rmSync(this.net.hosts[i]!.dataDir, { recursive: true, force: true });
  }
  async cut(i: number, down: boolean): Promise<void> {
    await this.net.link(i, !down);
  }
  logs(i: number): string {
    return this.past[i] + this.net.hosts[i]!.log + this.exits.note(this.pid(i));
  }
  takeUnexpectedExits(): string[] {
    return this.exits.take();
  }
  async destroy(): Promise<void> {
    await this.net.destroy();
  }
}

export interface ScheduleEntry {
  atMs: number;
  kind: FaultKind;
  member: number;
  detail: string;
  ok: boolean;
}

export interface RunOptions {
  seed: number;
  members: 1 | 3;
  durationMs: number;
  /** Fault kinds to draw from (default: all that apply to the cluster). */
  faults?: FaultKind[];
  /** Use network namespaces (default: when available, for 3 members). */
  netns?: boolean;
  qps?: number;
  /**
   * --snapshot-count for every member (default 300, with --snapshot-catchup-entries 50): kills,
   * restarts and new members then land around snapshot points and log compactions, and a member
   * that fell behind catches up from a snapshot.
   */
  snapshotCount?: number;
  /** Where to keep the evidence of a failed run (default: a temp folder). */
  outDir?: string;
  keep?: boolean;
  log?: (line: string) => void;
}

function snapshotArgs(opts: RunOptions): string[] {
  const count = opts.snapshotCount ?? 300;
  return ['--snapshot-count', String(count), '--snapshot-catchup-entries', String(Math.max(1, Math.floor(count / 6)))];
}

export interface RunResult {
  seed: number;
  members: number;
  netns: boolean;
  operations: number;
  faults: number;
  faultKinds: Record<string, number>;
  restarts: number;
  linearizable: 'yes' | 'no';
  problems: string[];
  skipped: string[];
  folder: string;
  schedule: ScheduleEntry[];
  driver: Record<string, unknown>;
}

async function leaderIndex(c: RCluster): Promise<number> {
  for (let i = 0; i < c.n; i++) {
    if (!c.running(i)) continue;
    const r = await runEtcdctl(c.endpoint(i), ['endpoint', 'status', '-w', 'json'], { timeoutMs: 3000 });
    const id = /"member_id":(\d+)/.exec(r.stdout)?.[1];
    const leader = /"leader":(\d+)/.exec(r.stdout)?.[1];
    if (id !== undefined && id === leader) return i;
  }
  return -1;
}

/** Member ids (hex) by name, from `member list`. */
async function memberIds(c: RCluster, via: number[]): Promise<Map<string, string>> {
  const r = await runEtcdctl(via.map((i) => c.endpoint(i)).join(','), ['member', 'list'], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`member list: ${r.stderr.trim()}`);
  const ids = new Map<string, string>();
  for (const line of r.stdout.trim().split('\n')) {
    const f = line.split(', ');
    if (f.length >= 4) ids.set(f[2]!, f[0]!);
  }
  return ids;
}

/** Every member running, healed and reporting a leader. */
async function heal(c: RCluster, restarts: { n: number }): Promise<void> {
  for (let i = 0; i < c.n; i++) {
    const pid = c.pid(i);
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
    if (c.partitions) await c.cut(i, false);
  }
  for (let i = 0; i < c.n; i++) {
    if (!c.running(i)) {
      await c.start(i, 'new');
      restarts.n++;
    }
  }
  for (let i = 0; i < c.n; i++) {
    if (!(await waitReady(c.endpoint(i), 30_000))) throw new Error(`${c.name(i)} has no leader after healing`);
  }
}

async function injectFault(
  c: RCluster,
  kind: FaultKind,
  rnd: () => number,
  restarts: { n: number },
): Promise<{ member: number; detail: string }> {
  const pick = () => Math.floor(rnd() * c.n);
  switch (kind) {
    case 'kill':
    case 'kill-leader': {
      let i = pick();
      if (kind === 'kill-leader') {
        const l = await leaderIndex(c);
        if (l >= 0) i = l;
      }
      await c.kill(i);
      const down = 500 + Math.floor(rnd() * 2500);
      await sleep(down);
      await c.start(i, 'new');
      restarts.n++;
      return { member: i, detail: `SIGKILL, down ${down} ms, restarted` };
    }
    case 'stop-cont': {
      const i = pick();
      const pid = c.pid(i);
      const ms = 1000 + Math.floor(rnd() * 3000);
      if (pid === undefined || !c.running(i)) return { member: i, detail: 'not running' };
      process.kill(pid, 'SIGSTOP');
      await sleep(ms);
      process.kill(pid, 'SIGCONT');
      return { member: i, detail: `SIGSTOP for ${ms} ms, SIGCONT` };
    }
    case 'partition': {
      const i = pick();
      const ms = 2000 + Math.floor(rnd() * 3000);
      await c.cut(i, true);
      await sleep(ms);
      await c.cut(i, false);
      return { member: i, detail: `link cut for ${ms} ms, healed` };
    }
    case 'move-leader': {
      const l = await leaderIndex(c);
      if (l < 0) throw new Error('no leader to move');
      const t = (l + 1 + Math.floor(rnd() * (c.n - 1))) % c.n;
      const ids = await memberIds(c, [l]);
      const id = ids.get(c.name(t));
      if (id === undefined) throw new Error(`no id for ${c.name(t)}`);
      const all = Array.from({ length: c.n }, (_, i) => c.endpoint(i)).join(',');
      const r = await runEtcdctl(all, ['move-leader', id], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`move-leader ${c.name(l)} -> ${c.name(t)}: ${r.stderr.trim()}`);
      return { member: t, detail: `leader ${c.name(l)} -> ${c.name(t)} (${id})` };
    }
    case 'replace-member': {
      const i = pick();
      const others = Array.from({ length: c.n }, (_, j) => j).filter((j) => j !== i);
      const ids = await memberIds(c, others);
      const id = ids.get(c.name(i));
      if (id === undefined) throw new Error(`no id for ${c.name(i)}`);
      const eps = others.map((j) => c.endpoint(j)).join(',');
      const rm = await reconfigWhenHealthy(eps, ['member', 'remove', id]);
      if (rm.code !== 0) throw new Error(`member remove ${id}: ${rm.stderr.trim()}`);
      await sleep(500);
      await c.kill(i);
      c.wipe(i);
      // Removing the leader leaves the others without one for an election timeout; a MemberAdd
      // sent meanwhile times out, as it would on etcd. Retry unless it was applied after all
      // (MemberAdd is not idempotent: check the list for the peer URL first).
      for (let attempt = 1; ; attempt++) {
        const add = await runEtcdctl(eps, ['member', 'add', c.name(i), `--peer-urls=${c.peerUrl(i)}`], { timeoutMs: 10_000 });
        if (add.code === 0) break;
        const list = await runEtcdctl(eps, ['member', 'list'], { timeoutMs: 10_000 });
        if (list.code === 0 && list.stdout.includes(c.peerUrl(i))) break;
        // With --strict-reconfig-check an add waits for 5 s of connected quorum (etcd's
        // HealthInterval), e.g. after a member restarted: keep trying for 20 s.
        if (attempt >= 20) throw new Error(`member add ${c.name(i)}: ${add.stderr.trim()}`);
        await sleep(1000);
      }
      await c.start(i, 'existing');
      restarts.n++;
      const newId = (await memberIds(c, others)).get(c.name(i)) ?? '?';
      return { member: i, detail: `removed ${id}, added back as ${newId} on a fresh data dir` };
    }
  }
}

export function faultKindsFor(members: number, partitions: boolean): FaultKind[] {
  if (members === 1) return ['kill', 'stop-cont'];
  return ALL_FAULTS.filter((k) => k !== 'partition' || partitions);
}

export async function runRobustness(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rnd = prng(opts.seed);
  const skipped: string[] = [];
  let nsReason = netnsAvailable();
  if (nsReason === undefined) {
    // test/helpers/netns.ts uses one fixed subnet: another namespace cluster on this machine
    // (a concurrent test) would share its addresses, so fall back to loopback then.
    const routes = await run('ip', ['route', 'show', `${SUBNET}.0/24`], { timeoutMs: 5000 });
    if (routes.stdout.trim() !== '') nsReason = `another namespace cluster already uses ${SUBNET}.0/24`;
  }
  const useNetns = (opts.netns ?? opts.members === 3) && nsReason === undefined;
  if ((opts.netns ?? opts.members === 3) && nsReason !== undefined && opts.members === 3) {
    skipped.push(`partition faults skipped: ${nsReason}`);
  }
  const folder = opts.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `etcd-ts-robustness-${opts.seed}-`));
  fs.mkdirSync(folder, { recursive: true });
  let kinds = faultKindsFor(opts.members, useNetns);
  if (opts.faults) kinds = opts.faults.filter((k) => kinds.includes(k));
  const c: RCluster = useNetns
    ? new NetnsCluster(await HostNetwork.create(opts.members, { extraArgs: snapshotArgs(opts) }))
    : new LoopbackCluster(await ProcessCluster.create(opts.members, { extraArgs: snapshotArgs(opts) }));
  const schedule: ScheduleEntry[] = [];
  const problems: string[] = [];
  const restarts = { n: 0 };
  const t0 = Date.now();
  let driverOut = '';
  let driverErr = '';
  let driver: Record<string, unknown> = {};
  try {
    await Promise.all(Array.from({ length: c.n }, (_, i) => c.start(i, 'new')));
    const eps = Array.from({ length: c.n }, (_, i) => c.endpoint(i)).join(',');
    const clientsPerMember = opts.members === 1 ? 4 : 2;
    // Porcupine's time grows faster than the history; give long runs room to reach a verdict.
    const checkMs = Math.min(20 * 60_000, Math.max(120_000, 5 * opts.durationMs));
    const child = spawn(
      toolPath('robustness'),
      [
        '-endpoints',
        eps,
        '-seed',
        String(opts.seed),
        '-out',
        folder,
        '-clients-per-member',
        String(clientsPerMember),
        '-qps',
        String(opts.qps ?? 200),
        '-check-timeout',
        `${checkMs}ms`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdout.setEncoding('utf8').on('data', (d: string) => (driverOut += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (driverErr = (driverErr + d).slice(-200_000)));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));

    await sleep(1500);
    const faultsEnd = t0 + opts.durationMs - 3000;
    while (kinds.length > 0 && Date.now() + 2000 < faultsEnd) {
      const kind = kinds[Math.floor(rnd() * kinds.length)]!;
      const atMs = Date.now() - t0;
      let entry: ScheduleEntry;
      try {
        const r = await injectFault(c, kind, rnd, restarts);
        entry = { atMs, kind, member: r.member, detail: r.detail, ok: true };
      } catch (e) {
        entry = { atMs, kind, member: -1, detail: String(e).slice(0, 500), ok: false };
      }
      schedule.push(entry);
      if (!entry.ok) problems.push(`fault ${kind} at +${atMs} ms failed: ${entry.detail}`);
      log(
        `robustness: seed ${opts.seed} +${(atMs / 1000).toFixed(1)}s ${kind} ${entry.member >= 0 ? c.name(entry.member) : ''} ${entry.detail}`,
      );
      const exits = c.takeUnexpectedExits();
      problems.push(...exits);
      for (const x of exits) log(`robustness: seed ${opts.seed} ${x}`);
      try {
        await heal(c, restarts);
      } catch (e) {
        problems.push(`cluster did not recover after ${kind}: ${String(e).slice(0, 500)}`);
        break;
      }
      await sleep(1000 + Math.floor(rnd() * 2500));
    }
    while (Date.now() < t0 + opts.durationMs) await sleep(200);
    try {
      await heal(c, restarts);
    } catch (e) {
      problems.push(`cluster did not recover at the end: ${String(e).slice(0, 500)}`);
    }
    child.stdin.end('stop\n');
    const killer = setTimeout(() => child.kill('SIGKILL'), checkMs + 180_000);
    const code = await exited;
    clearTimeout(killer);
    const line = driverOut.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) {
      problems.push(`driver exited with ${code} without a result: ${driverErr.slice(-2000)}`);
    } else {
      driver = JSON.parse(line.slice(7)) as Record<string, unknown>;
      problems.push(...((driver.problems as string[] | undefined) ?? []));
    }
    problems.push(...c.takeUnexpectedExits());
    for (let i = 0; i < c.n; i++) {
      if (!c.running(i)) problems.push(`${c.name(i)} is not running at the end`);
    }
  } catch (e) {
    problems.push(`harness: ${String(e)}`);
  } finally {
    const failed = problems.length > 0 || driver.linearizable !== 'yes';
    if (failed || opts.keep) {
      for (let i = 0; i < c.n; i++) fs.writeFileSync(path.join(folder, `${c.name(i)}.log`), c.logs(i));
      fs.writeFileSync(
        path.join(folder, 'schedule.json'),
        JSON.stringify({ seed: opts.seed, members: opts.members, netns: useNetns, schedule }, null, 1),
      );
      fs.writeFileSync(path.join(folder, 'driver.stderr'), driverErr);
      fs.writeFileSync(path.join(folder, 'problems.txt'), problems.join('\n') + '\n');
    }
    await c.destroy();
    if (!(failed || opts.keep)) fs.rmSync(folder, { recursive: true, force: true });
  }
  const faultKinds: Record<string, number> = {};
  for (const s of schedule) if (s.ok) faultKinds[s.kind] = (faultKinds[s.kind] ?? 0) + 1;
  return {
    seed: opts.seed,
    members: opts.members,
    netns: useNetns,
    operations: Number(driver.operations ?? 0),
    faults: schedule.filter((s) => s.ok).length,
    faultKinds,
    restarts: restarts.n,
    linearizable: driver.linearizable === 'yes' ? 'yes' : 'no',
    problems,
    skipped,
    folder,
    schedule,
    driver,
  };
}
