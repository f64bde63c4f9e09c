/**
 * kill -9 during the very first start (bootstrap of a new cluster): the data dir left behind must
 * start again as a working member (or be refused with a clear error), never come up without a
 * leader for good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../helpers/ports';
import { etcdTsBin, memberArgs, startProcessMember } from '../helpers/process-member';
import { EtcdClient, prng } from './grpc-client';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);

/** Spawns a fresh member and kills it -9 when `when` says so (given its stderr so far and the ms since spawn). */
async function spawnAndKill(
  dataDir: string,
  clientPort: number,
  peerPort: number,
  when: (stderr: string, ms: number) => boolean,
): Promise<string> {
  const child = spawn(process.execPath, [etcdTsBin(), ...memberArgs('n1', dataDir, clientPort, peerPort)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const t0 = Date.now();
  let err = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const check = (): void => {
    if (child.exitCode === null && when(err, Date.now() - t0)) child.kill('SIGKILL');
  };
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    check();
  });
  const timer = setInterval(check, 2);
  const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearInterval(timer);
  clearTimeout(guard);
  return err;
}

async function restartsAndServes(dataDir: string, clientPort: number, peerPort: number, what: string): Promise<void> {
  let m;
  try {
    m = await startProcessMember({ dataDir, name: 'n1', clientPort, peerPort, startTimeoutMs: 10_000 });
  } catch (e) {
    assert.fail(`${what}: the member did not come back:\n${(e as Error).message}`);
  }
  const c = new EtcdClient(m.endpoint);
  try {
    const r = await c.call('etcdserverpb.KV', 'Put', { key: Buffer.from('after'), value: Buffer.from('boot') });
    assert.ok(Number(r.header.revision) >= 2);
  } finally {
    c.close();
    await m.stop();
  }
}

test('kill -9 right after "bootstrapped new cluster" is logged: the member restarts and elects itself', { timeout: 60_000 }, async (t) => {
  for (let i = 0; i < 2; i++) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-bootkill-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    const cp = await freePort();
    const pp = await freePort();
    await spawnAndKill(dataDir, cp, pp, (stderr) => stderr.includes('bootstrapped new cluster'));
    await restartsAndServes(dataDir, cp, pp, `attempt ${i}`);
  }
});

test(`kill -9 at random moments of the first start (FUZZ_SEED=${SEED}): the member restarts and serves`, { timeout: 90_000 }, async (t) => {
  const rnd = prng(SEED);
  for (let i = 0; i < 4; i++) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'etcd-ts-bootkill-'));
    t.after(() => fs.rmSync(root, { recursive: true, force: true }));
    const dataDir = path.join(root, 'data');
    const cp = await freePort();
    const pp = await freePort();
    const delay = 150 + Math.floor(rnd() * 600);
    await spawnAndKill(dataDir, cp, pp, (_, ms) => ms >= delay);
    await restartsAndServes(dataDir, cp, pp, `attempt ${i}, killed ${delay} ms after spawn (FUZZ_SEED=${SEED})`);
  }
});
