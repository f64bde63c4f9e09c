/**
 * Several hosts on one machine: network namespaces joined by a bridge, each with its own address,
 * so members listen on 0.0.0.0:2379/2380 exactly as the docker recipe's containers do. Links can
 * be cut (`ip link set ... down`) to partition a host. Needs root and iproute2; every address
 * belongs to namespaces this helper creates, and everything is removed by `destroy()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from './tools';
import { etcdTsArgv, healthy } from './process-member';

export const SUBNET = '10.110.2';

async function sh(args: string[]): Promise<void> {
  const r = await run('ip', args, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

export function netnsAvailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for ip netns';
  if (!fs.existsSync('/usr/sbin/ip') && !fs.existsSync('/sbin/ip') && !fs.existsSync('/usr/bin/ip'))
    return 'iproute2 (ip) is not installed';
  return undefined;
}

export interface Host {
  ns: string;
  veth: string;
  ip: string;
  name: string;
  dataDir: string;
  child?: ChildProcess;
  log: string;
  /** Resolves with the member's exit code and signal (`ip netns exec` execs the member itself). */
  exited?: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class HostNetwork {
  readonly hosts: Host[];
  private readonly bridge: string;
  private readonly root: string;
  private readonly extraArgs: string[];

  private constructor(tag: string, n: number, extraArgs: string[]) {
    this.extraArgs = extraArgs;
    this.bridge = `etsbr${tag}`;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-netns-'));
    this.hosts = Array.from({ length: n }, (_, i) => ({
      ns: `ets${tag}n${i + 1}`,
      veth: `ets${tag}v${i + 1}`,
      ip: `${SUBNET}.${9 + i}`,
      name: `etcd-node-${i + 1}`,
      dataDir: path.join(this.root, `node-${i + 1}`),
      log: '',
    }));
  }

  /** `extraArgs` are appended to every member's flags. */
  static async create(n: number, opts: { extraArgs?: string[] } = {}): Promise<HostNetwork> {
    const tag = (process.pid % 10000).toString(36) + Math.floor(Math.random() * 36 ** 2).toString(36);
    const net = new HostNetwork(tag, n, opts.extraArgs ?? []);
    await sh(['link', 'add', net.bridge, 'type', 'bridge']);
    await sh(['addr', 'add', `${SUBNET}.1/24`, 'dev', net.bridge]);
    await sh(['link', 'set', net.bridge, 'up']);
    for (const h of net.hosts) {
      await sh(['netns', 'add', h.ns]);
      await sh(['link', 'add', h.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
      await sh(['link', 'set', h.veth, 'master', net.bridge]);
      await sh(['link', 'set', h.veth, 'up']);
      await sh(['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      await sh(['-n', h.ns, 'link', 'set', 'eth0', 'up']);
      await sh(['-n', h.ns, 'link', 'set', 'lo', 'up']);
    }
    return net;
  }

  initialCluster(): string {
    return this.hosts.map((h) => `${h.name}=http://${h.ip}:2380`).join(',');
  }

  endpoint(i: number): string {
    return `${this.hosts[i]!.ip}:2379`;
  }

  endpoints(which: number[] = this.hosts.map((_, i) => i)): string {
    return which.map((i) => this.endpoint(i)).join(',');
  }

  /** Starts host i's member with the docker recipe's flags, inside its namespace. */
  start(i: number, state: 'new' | 'existing' = 'new'): void {
    const h = this.hosts[i]!;
    const member = [
      '--name',
      h.name,
      '--data-dir',
      h.dataDir,
      '--listen-client-urls',
      'http://0.0.0.0:2379',
      '--advertise-client-urls',
      `http://${h.ip}:2379`,
      '--listen-peer-urls',
      'http://0.0.0.0:2380',
      '--initial-advertise-peer-urls',
      `http://${h.ip}:2380`,
      '--initial-cluster',
      this.initialCluster(),
      '--initial-cluster-state',
      state,
      '--initial-cluster-token',
      'my-etcd-token',
      ...this.extraArgs,
    ];
    const args = ['netns', 'exec', h.ns, process.execPath, ...etcdTsArgv(member)];
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    h.child = child;
    h.log = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      h.log = (h.log + d).slice(-200_000);
    });
    h.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  async waitHealthy(which: number[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const i of which) {
      while (!(await healthy(`http://${this.endpoint(i)}`))) {
        if (Date.now() > deadline) throw new Error(`${this.hosts[i]!.name} not healthy in time:\n${this.hosts[i]!.log.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  signal(i: number, sig: NodeJS.Signals): void {
    this.hosts[i]!.child?.kill(sig);
  }

  async kill(i: number): Promise<void> {
    const h = this.hosts[i]!;
    if (!h.child) return;
    h.child.kill('SIGKILL');
    await h.exited;
    h.child = undefined;
  }

  /** Cuts (or restores) host i's only link: it can reach no other host, nor be reached. */
  async link(i: number, up: boolean): Promise<void> {
    await sh(['link', 'set', this.hosts[i]!.veth, up ? 'up' : 'down']);
  }

  async destroy(): Promise<void> {
    for (const h of this.hosts) {
      if (h.child) {
        h.child.kill('SIGCONT');
        h.child.kill('SIGKILL');
        await h.exited;
      }
    }
    for (const h of this.hosts) {
      await run('ip', ['netns', 'del', h.ns], { timeoutMs: 10_000 });
      await run('ip', ['link', 'del', h.veth], { timeoutMs: 10_000 });
    }
    await run('ip', ['link', 'del', this.bridge], { timeoutMs: 10_000 });
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
