/**
 * A cluster of `bin/etcd-ts` processes on loopback ports, started with exactly the flags of the
 * etcd docs' docker recipe (--name, --initial-cluster with every member, --initial-cluster-state
 * new, --initial-cluster-token), so tests can kill, pause and restart members.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './ports';
import { startProcessMember, type ProcessMember } from './process-member';
import { runEtcdctl } from './tools';

export interface MemberSpec {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
}

export class ProcessCluster {
  readonly specs: MemberSpec[];
  readonly members: (ProcessMember | undefined)[];
  private readonly root: string;
  private readonly extraArgs: string[];
  readonly token: string;
  /** etcdctl's --user for the cluster's own status checks (once auth is enabled, Status needs a user). */
  user: string[] = [];
  /** The server binary when not etcd-ts (e.g. the real etcd, for side-by-side tests). */
  private readonly binary: string | undefined;

  private constructor(specs: MemberSpec[], root: string, extraArgs: string[], token: string, binary: string | undefined) {
    this.specs = specs;
    this.members = specs.map(() => undefined);
    this.root = root;
    this.extraArgs = extraArgs;
    this.token = token;
    this.binary = binary;
  }

  static async create(n: number, opts: { extraArgs?: string[]; token?: string; binary?: string } = {}): Promise<ProcessCluster> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-cluster-'));
    const specs: MemberSpec[] = [];
    for (let i = 1; i <= n; i++) {
      specs.push({
        name: `etcd-node-${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dataDir: path.join(root, `node-${i}`),
      });
    }
    return new ProcessCluster(specs, root, opts.extraArgs ?? [], opts.token ?? 'my-etcd-token', opts.binary);
  }

  initialCluster(specs = this.specs): string {
    return specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',');
  }

  /** Starts member i (0-based) with the recipe's flags; `state` is --initial-cluster-state. */
  async start(
    i: number,
    state: 'new' | 'existing' = 'new',
    initialCluster = this.initialCluster(),
    env?: Record<string, string>,
  ): Promise<ProcessMember> {
    const s = this.specs[i]!;
    const m = await startProcessMember({
      ...(env !== undefined ? { env } : {}),
      ...(this.binary !== undefined ? { binary: this.binary } : {}),
      name: s.name,
      dataDir: s.dataDir,
      clientPort: s.clientPort,
      peerPort: s.peerPort,
      extraArgs: [
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        state,
        '--initial-cluster-token',
        this.token,
        ...this.extraArgs,
      ],
    });
    this.members[i] = m;
    return m;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.specs.map((_, i) => this.start(i)));
  }

  endpoint(i: number): string {
    return `127.0.0.1:${this.specs[i]!.clientPort}`;
  }

  /** Endpoints of the given members (default: all), comma-separated, as etcdctl takes them. */
  endpoints(which: number[] = this.specs.map((_, i) => i)): string {
    return which.map((i) => this.endpoint(i)).join(',');
  }

  /** Index of the member that reports itself leader, or -1 (asks each running member). */
  async leaderIndex(): Promise<number> {
    for (let i = 0; i < this.specs.length; i++) {
      if (!this.members[i]) continue;
      const st = await status(this.endpoint(i), this.user);
      if (st && st.leader !== '0' && st.leader === st.memberId) return i;
    }
    return -1;
  }

  async waitLeader(timeoutMs = 15_000, except?: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = await this.leaderIndex();
      if (l >= 0 && l !== except) return l;
      if (Date.now() > deadline) throw new Error('no leader elected in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.members[i];
    if (!m) return;
    await m.kill(signal);
    this.members[i] = undefined;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.members.map((m) => m?.stop()));
    this.members.fill(undefined);
  }

  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m?.kill('SIGKILL')));
    this.members.fill(undefined);
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Maintenance.Status of one endpoint via etcdctl, with 64-bit ids kept as decimal strings. */
export async function status(
  endpoint: string,
  user: string[] = [],
): Promise<{ memberId: string; leader: string; revision: number; raftIndex: number } | undefined> {
  const r = await runEtcdctl(endpoint, [...user, 'endpoint', 'status', '-w', 'json'], { timeoutMs: 5000 });
  if (r.code !== 0) return undefined;
  const memberId = /"member_id":(\d+)/.exec(r.stdout)?.[1];
  const leader = /"leader":(\d+)/.exec(r.stdout)?.[1];
  const revision = /"revision":(\d+)/.exec(r.stdout)?.[1];
  const raftIndex = /"raftIndex":(\d+)/.exec(r.stdout)?.[1];
  if (memberId === undefined) return undefined;
  return { memberId, leader: leader ?? '0', revision: Number(revision ?? 0), raftIndex: Number(raftIndex ?? 0) };
}

/** `endpoint hashkv` of one endpoint: the hash and the revision it covers. */
export async function hashKV(endpoint: string, rev = 0): Promise<{ hash: string; revision: string } | undefined> {
  const r = await runEtcdctl(endpoint, ['endpoint', 'hashkv', '--rev', String(rev), '-w', 'json'], { timeoutMs: 5000 });
  if (r.code !== 0) return undefined;
  const hash = /"hash":(\d+)/.exec(r.stdout)?.[1];
  const revision = /"hash_revision":(\d+)/.exec(r.stdout)?.[1] ?? /"revision":(\d+)/.exec(r.stdout)?.[1];
  return hash === undefined ? undefined : { hash, revision: revision ?? '0' };
}

/**
 * `etcdctl ARGS` (a member add or remove), retried while the cluster answers `etcdserver:
 * unhealthy cluster`: with --strict-reconfig-check (etcd's default) a change is refused until
 * the member's peer streams to a quorum have been up for 5 s, etcd's HealthInterval (so right
 * after a cluster starts, or a member restarts, a change has to wait, on etcd too).
 */
export async function reconfigWhenHealthy(endpoints: string, args: string[], timeoutMs = 20_000): ReturnType<typeof runEtcdctl> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await runEtcdctl(endpoints, args, { timeoutMs: 10_000 });
    if (r.code === 0 || !/unhealthy cluster/.test(r.stderr) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 500));
  }
}
