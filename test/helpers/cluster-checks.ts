/**
 * Checks on a running cluster shared by the cluster tests: the Go writer's acknowledged puts,
 * a prefix read through etcdctl, and convergence of every member to one revision and HashKV.
 */
import assert from 'node:assert/strict';
import { hashKV, status, type ProcessCluster } from './cluster';
import { runEtcdctl } from './tools';

export interface Ack {
  key: string;
  value: string;
  revision: number;
}

export function parseWriter(out: string): { acks: Ack[]; unknown: Set<string> } {
  const acks: Ack[] = [];
  const unknown = new Set<string>();
  for (const line of out.split('\n')) {
    const p = line.split(' ');
    if (p[0] === 'ack') acks.push({ key: p[1]!, value: p[2]!, revision: Number(p[3]) });
    else if (p[0] === 'err') unknown.add(p[1]!);
  }
  return { acks, unknown };
}

export async function getPrefix(endpoint: string, prefix: string): Promise<Map<string, { value: string; mod: number }>> {
  const r = await runEtcdctl(endpoint, ['get', prefix, '--prefix', '-w', 'json'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const o = JSON.parse(r.stdout) as { kvs?: { key: string; value: string; mod_revision: number }[] };
  const out = new Map<string, { value: string; mod: number }>();
  for (const kv of o.kvs ?? []) {
    out.set(Buffer.from(kv.key, 'base64').toString(), { value: Buffer.from(kv.value, 'base64').toString(), mod: kv.mod_revision });
  }
  return out;
}

/** Waits until every running member reports the same revision and the same HashKV. */
export async function converge(c: ProcessCluster, which: number[], timeoutMs = 30_000): Promise<{ revision: number; hash: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const sts = await Promise.all(which.map((i) => status(c.endpoint(i))));
    const revs = sts.map((s) => s?.revision ?? -1);
    if (revs.every((r) => r > 0 && r === revs[0])) {
      const hs = await Promise.all(which.map((i) => hashKV(c.endpoint(i), revs[0])));
      if (hs.every((h) => h !== undefined && h.hash === hs[0]!.hash)) return { revision: revs[0]!, hash: hs[0]!.hash };
      last = `revision ${revs[0]} hashes ${hs.map((h) => h?.hash).join(',')}`;
    } else {
      last = `revisions ${revs.join(',')}`;
    }
    if (Date.now() > deadline) throw new Error(`members did not converge: ${last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
