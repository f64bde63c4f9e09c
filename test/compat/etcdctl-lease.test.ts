// etcdctl 3.6 lease, lock and elect commands against real etcd 3.6 and against etcd-ts: the same
// scenario runs against a fresh single member of each, and every normalised observation must
// equal the golden transcript recorded from real etcd (golden/etcdctl-lease.json).
//
// Besides plain runs, the scenario has long-running etcdctl processes (lease keep-alive, lock,
// elect, elect -l): they are started in the background, read until an expected line appears, and
// stopped with SIGTERM (etcdctl's lock and elect commands catch it and unlock / resign).
// Normalisation on top of normalise.ts: lease ids (hex where etcdctl prints them, decimal in JSON)
// become <LEASE1>, <LEASE2>... in order of first appearance (so the lease ids are not compared,
// but whether the same lease shows up in the same places is); a remaining TTL within 10 s of the
// granted one becomes <~TTL> (anything else stays visible so a bad TTL shows up); attached keys
// are sorted (etcd lists them from a Go map, in random order).
// Regenerate the golden file from real etcd with ETCD_TS_UPDATE_GOLDEN=1 (and review the diff).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunningMember } from '../helpers/running-member';
import { repoRoot, runEtcdctl, toolPath, type RunResult } from '../helpers/tools';
import { identify, normalise, type Identity } from './normalise';
import { realEtcd, targets } from './targets';

const GOLDEN = path.join(repoRoot(), 'test', 'compat', 'golden', 'etcdctl-lease.json');
const update = process.env['ETCD_TS_UPDATE_GOLDEN'] === '1';
const golden: Record<string, unknown> = fs.existsSync(GOLDEN)
  ? (JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as Record<string, unknown>)
  : {};

/** Maps lease ids to stable labels per target, in order of first appearance. */
class Leases {
  private readonly labels = new Map<string, string>(); // hex (no leading zeros) -> label
  label(hex: string): string {
    const key = BigInt(`0x${hex}`).toString(16);
    let l = this.labels.get(key);
    if (l === undefined) {
      l = `<LEASE${this.labels.size + 1}>`;
      this.labels.set(key, l);
    }
    return l;
  }
  /** The real id (hex as etcdctl prints it) of a label, for use in later commands. */
  hexOf(label: string): string {
    for (const [hex, l] of this.labels) if (l === label) return hex;
    throw new Error(`no lease ${label} seen yet`);
  }
  fix(s: string): string {
    // A lease first seen in JSON (`lease grant -w json`) is only printed in decimal.
    for (const m of s.matchAll(/"(?:ID|id)":(\d{6,})/g)) this.label(BigInt(m[1]!).toString(16));
    // Hex ids: "lease <id> granted..." (%016x), `lease list` lines (%016x), and the lock / election
    // keys "<name>/<id>" (%x, so without leading zeros).
    let out = s.replace(/\blease ([0-9a-f]{1,16})\b/g, (_m, h: string) => `lease ${this.label(h)}`);
    out = out.replace(/^([0-9a-f]{16})$/gm, (_m, h: string) => this.label(h));
    out = out.replace(/\b(mylock|myelection)\/([0-9a-f]{1,16})\b/g, (_m, n: string, h: string) => `${n}/${this.label(h)}`);
    for (const [hex, l] of this.labels) {
      const dec = BigInt(`0x${hex}`).toString(10);
      out = out.replace(new RegExp(`(?<![0-9])${dec}(?![0-9])`, 'g'), l);
    }
    // The attached keys come from a Go map in etcd (random order): sort them.
    out = out.replace(/attached keys\(\[([^\]]*)\]\)/g, (_m, ks: string) => `attached keys([${ks.split(' ').sort().join(' ')}])`);
    out = out.replace(/"keys":\[([^\]]*)\]/g, (_m, ks: string) => `"keys":[${ks.split(',').sort().join(',')}]`);
    // "granted with TTL(100s), remaining(99s)" and JSON "TTL":99,"granted-ttl":100
    out = out.replace(
      /TTL\((\d+)s\), remaining\((-?\d+)s\)/g,
      (_m, g: string, r: string) => `TTL(${g}s), remaining(${near(Number(r), Number(g))})`,
    );
    out = out.replace(
      /"(TTL|ttl)":(-?\d+),"granted-ttl":(\d+)/g,
      (_m, k: string, r: string, g: string) => `"${k}":"${near(Number(r), Number(g))}","granted-ttl":${g}`,
    );
    return out;
  }
}

function near(remaining: number, granted: number): string {
  return remaining <= granted && remaining >= granted - 10 ? '<~TTL>' : `${remaining}s (granted ${granted}s)`;
}

type Obs = RunResult | { lines: string[] } | Record<string, unknown>;

/** A background etcdctl process whose stdout is collected as it arrives. */
class Bg {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  exited: Promise<number>;
  constructor(endpoint: string, args: string[]) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ETCDCTL_')) env[k] = v;
    this.child = spawn(toolPath('etcdctl'), [`--endpoints=${endpoint}`, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => this.child.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1))));
  }
  /** Waits until stdout has at least n non-empty lines (or the timeout). */
  async lines(n: number, timeoutMs = 15_000): Promise<string[]> {
    const t0 = Date.now();
    for (;;) {
      const ls = this.stdout.split('\n').filter((l) => l !== '');
      if (ls.length >= n || Date.now() - t0 > timeoutMs) return ls.slice(0, Math.max(n, ls.length));
      await sleep(50);
    }
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | 'timeout'> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const t = await Promise.race([this.exited, sleep(timeoutMs).then(() => 'timeout' as const)]);
    if (t === 'timeout') this.child.kill('SIGKILL');
    return t;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

for (const target of targets()) {
  describe(`etcdctl lease/lock/elect against ${target.label}`, () => {
    let member: RunningMember | undefined;
    let id: Identity;
    const leases = new Leases();
    const recorded: Record<string, unknown> = {};
    const bgs: Bg[] = [];

    before(async () => {
      member = await target.start();
      id = await identify(member);
    });
    after(async () => {
      for (const b of bgs) await b.stop('SIGKILL', 2000);
      await member?.stop();
      if (update && target === realEtcd && Object.keys(recorded).length > 0) {
        fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
        fs.writeFileSync(GOLDEN, JSON.stringify(recorded, null, 2) + '\n');
      }
    });

    const fixText = (s: string): string => leases.fix(normalise({ code: 0, stdout: s, stderr: '' }, id).stdout);
    const etcdctl = async (args: string[]): Promise<RunResult> => {
      const r = normalise(await runEtcdctl(member!.endpoint, args), id);
      return { code: r.code, stdout: leases.fix(r.stdout), stderr: leases.fix(r.stderr) };
    };
    const bg = (args: string[]): Bg => {
      const b = new Bg(member!.endpoint, args);
      bgs.push(b);
      return b;
    };
    const L = (label: string): string => leases.hexOf(label);

    /** Runs a group: each observation is compared with the golden one of the same id. */
    const group = (name: string, body: (obs: (id: string, o: Obs) => void) => Promise<void>): void => {
      test(name, async () => {
        assert.ok(member, `${target.label} did not start`);
        const failures: string[] = [];
        await body((stepId, o) => {
          const key = `${name}: ${stepId}`;
          recorded[key] = o;
          if (update && target === realEtcd) return;
          const want = golden[key];
          if (want === undefined) {
            failures.push(`${key}: no golden output (run with ETCD_TS_UPDATE_GOLDEN=1 against real etcd)`);
            return;
          }
          try {
            assert.deepEqual(o, want);
          } catch {
            failures.push(`step "${key}":\n  got:  ${JSON.stringify(o)}\n  want: ${JSON.stringify(want)}`);
          }
        });
        assert.equal(failures.length, 0, `${failures.length} step(s) differ from real etcd:\n${failures.join('\n')}`);
      });
    };

    group('lease', async (obs) => {
      obs('lease grant 100', await etcdctl(['lease', 'grant', '100']));
      obs('lease timetolive', await etcdctl(['lease', 'timetolive', L('<LEASE1>')]));
      obs('lease timetolive --keys (none)', await etcdctl(['lease', 'timetolive', L('<LEASE1>'), '--keys']));
      obs('lease list', await etcdctl(['lease', 'list']));
      obs('lease list -w json', await etcdctl(['lease', 'list', '-w', 'json']));
      obs('lease keep-alive --once', await etcdctl(['lease', 'keep-alive', '--once', L('<LEASE1>')]));
      obs('lease keep-alive --once -w json', await etcdctl(['lease', 'keep-alive', '--once', L('<LEASE1>'), '-w', 'json']));
      obs('put --lease', await etcdctl(['put', `--lease=${L('<LEASE1>')}`, 'k', 'v'])); // rev 2
      obs('put --ignore-lease', await etcdctl(['put', '--ignore-lease', 'k', 'v2'])); // rev 3
      obs('get k -w json', await etcdctl(['get', 'k', '-w', 'json']));
      obs('put --lease k2', await etcdctl(['put', `--lease=${L('<LEASE1>')}`, 'k2', 'x'])); // rev 4
      obs('lease timetolive --keys', await etcdctl(['lease', 'timetolive', L('<LEASE1>'), '--keys']));
      obs('lease timetolive --keys -w json', await etcdctl(['lease', 'timetolive', L('<LEASE1>'), '--keys', '-w', 'json']));
      obs('put --lease unknown', await etcdctl(['put', '--lease=1234abcd', 'k3', 'x']));
      obs('put --ignore-lease missing key', await etcdctl(['put', '--ignore-lease', 'nokey', 'x']));

      // A short lease so that `lease keep-alive` (renews every TTL/3) prints two renewals quickly.
      obs('lease grant 6', await etcdctl(['lease', 'grant', '6']));
      const ka = bg(['lease', 'keep-alive', L('<LEASE2>')]);
      obs('lease keep-alive (first 2 lines)', { lines: (await ka.lines(2)).slice(0, 2).map(fixText) });
      await ka.stop();
      obs('lease revoke 2', await etcdctl(['lease', 'revoke', L('<LEASE2>')]));

      obs('lease revoke', await etcdctl(['lease', 'revoke', L('<LEASE1>')])); // rev 5
      obs('get k after revoke', await etcdctl(['get', 'k']));
      obs('get --prefix after revoke -w json', await etcdctl(['get', 'k', '--prefix', '-w', 'json']));
      obs('lease timetolive revoked', await etcdctl(['lease', 'timetolive', L('<LEASE1>')]));
      obs('lease timetolive revoked -w json', await etcdctl(['lease', 'timetolive', L('<LEASE1>'), '-w', 'json']));
      obs('lease revoke again', await etcdctl(['lease', 'revoke', L('<LEASE1>')]));
      obs('lease keep-alive --once revoked', await etcdctl(['lease', 'keep-alive', '--once', L('<LEASE1>')]));
      obs('lease list empty', await etcdctl(['lease', 'list']));
      obs('lease grant -w json', await etcdctl(['lease', 'grant', '50', '-w', 'json']));
      obs('lease revoke 3', await etcdctl(['lease', 'revoke', L('<LEASE3>')]));
    });

    group('lock', async (obs) => {
      const holder = bg(['lock', 'mylock']);
      obs('holder prints its key', { lines: (await holder.lines(1)).map(fixText) });
      const waiter = bg(['lock', 'mylock', '--', 'echo', 'got-it']);
      await sleep(1500);
      obs('waiter waits', { stdout: fixText(waiter.stdout), exited: waiter.child.exitCode !== null });
      obs('lock keys while contended', await etcdctl(['get', 'mylock', '--prefix', '--keys-only']));
      const holderCode = await holder.stop();
      obs('holder after SIGTERM', { code: holderCode, stdout: fixText(holder.stdout) });
      const code = await Promise.race([waiter.exited, sleep(15_000).then(() => 'timeout' as const)]);
      obs('waiter proceeds', { code, stdout: fixText(waiter.stdout) });
      obs('lock keys after', await etcdctl(['get', 'mylock', '--prefix', '--keys-only']));
      obs('lock -- sh env', await etcdctl(['lock', 'mylock', '--', 'sh', '-c', 'echo key=$ETCD_LOCK_KEY rev=$ETCD_LOCK_REV']));
      obs('lock -- false (exit code)', await etcdctl(['lock', 'mylock', '--', 'sh', '-c', 'exit 3']));
    });

    group('elect', async (obs) => {
      const p1 = bg(['elect', 'myelection', 'p1']);
      obs('p1 elected', { lines: (await p1.lines(2)).map(fixText) });
      const observer = bg(['elect', '-l', 'myelection']);
      obs('observer sees p1', { lines: (await observer.lines(2)).map(fixText) });
      const p2 = bg(['elect', 'myelection', 'p2']);
      await sleep(1500);
      obs('p2 waits', { stdout: fixText(p2.stdout) });
      obs('election keys', await etcdctl(['get', 'myelection', '--prefix']));
      const p1Code = await p1.stop();
      obs('p1 after SIGTERM', { code: p1Code });
      obs('p2 elected', { lines: (await p2.lines(2)).map(fixText) });
      obs('observer sees p2', { lines: (await observer.lines(4)).map(fixText) });
      obs('p2 after SIGTERM', { code: await p2.stop() });
      obs('observer after SIGTERM', { code: await observer.stop() });
      obs('election keys after', await etcdctl(['get', 'myelection', '--prefix', '--keys-only']));
    });
  });
}
