/**
 * Raft core throughput: a 3-voter (and a 1-voter) cluster in one process, no I/O. Proposals go to the leader in
 * batches; each round handles every Ready (persist into MemoryStorage, deliver messages, apply)
 * until the cluster is quiet. Prints committed proposals/s (applied on all 3 nodes) and heap/GC
 * figures. Run: node dist/test/bench/raft-bench.js [totalProposals]
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { EntryType, MemoryStorage, Message, RawNode } from '../../src/raft';

interface BenchNode {
  raw: RawNode;
  storage: MemoryStorage;
  applied: number;
  appliedIndex: number;
}

function makeCluster(size: number): BenchNode[] {
  const voters = Array.from({ length: size }, (_, i) => BigInt(i + 1));
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 16807) % 2147483647;
    return seed % n;
  };
  return voters.map((id) => {
    const storage = new MemoryStorage();
    storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState: { voters, learners: [] } } });
    const raw = new RawNode({
      id,
      electionTick: 10,
      heartbeatTick: 1,
      storage,
      applied: 1,
      random,
      maxInflightMsgs: 256,
      maxSizePerMsg: 1 << 20,
    });
    return { raw, storage, applied: 0, appliedIndex: 1 };
  });
}

function pump(nodes: BenchNode[]): void {
  const byId = new Map(nodes.map((n) => [n.raw.raft.id, n] as const));
  for (;;) {
    const msgs: Message[] = [];
    let any = false;
    for (const n of nodes) {
      if (!n.raw.hasReady()) continue;
      any = true;
      const rd = n.raw.ready();
      if (rd.snapshot !== undefined) n.storage.applySnapshot(rd.snapshot);
      n.storage.append(rd.entries);
      if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
      for (const m of rd.messages) msgs.push(m);
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.EntryNormal && e.data.length > 0) n.applied++;
        n.appliedIndex = e.index;
      }
      n.raw.advance(rd);
    }
    for (const m of msgs) byId.get(m.to)!.raw.step(m);
    if (!any && msgs.length === 0) return;
  }
}

function compactAll(nodes: BenchNode[]): void {
  for (const n of nodes) {
    const keep = n.appliedIndex - 1000;
    if (keep > n.storage.firstIndex()) n.storage.compact(keep);
  }
}

async function run(total: number, batch: number, payloadSize: number, mode: 'batch' | 'single', size = 3): Promise<void> {
  const nodes = makeCluster(size);
  nodes[0]!.raw.campaign();
  pump(nodes);
  if (nodes[0]!.raw.basicStatus().raftState !== 'StateLeader') throw new Error('node 1 did not become leader');
  const payload = new Uint8Array(payloadSize).fill(120);
  const leader = nodes[0]!.raw;
  let gcCount = 0;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  let proposed = 0;
  let rounds = 0;
  while (proposed < total) {
    const n = Math.min(batch, total - proposed);
    if (mode === 'batch') {
      const datas: Uint8Array[] = new Array<Uint8Array>(n);
      for (let i = 0; i < n; i++) datas[i] = payload;
      leader.proposeBatch(datas);
    } else {
      for (let i = 0; i < n; i++) leader.propose(payload);
    }
    proposed += n;
    pump(nodes);
    if (++rounds % 64 === 0) compactAll(nodes);
  }
  const ns = Number(process.hrtime.bigint() - t0);
  const heapAfter = process.memoryUsage().heapUsed;
  // GC entries are delivered asynchronously.
  await new Promise<void>((resolve) => setTimeout(resolve, 20));
  obs.disconnect();
  for (const nd of nodes) if (nd.applied !== total) throw new Error(`node applied ${nd.applied} of ${total}`);
  const perSec = total / (ns / 1e9);
  console.log(
    `${size} voter${size > 1 ? 's' : ' '} ${mode.padEnd(6)} batch=${String(batch).padStart(5)} payload=${payloadSize}B: ${Math.round(perSec).toLocaleString('en-US').padStart(10)} committed proposals/s ` +
      `(${total} in ${(ns / 1e6).toFixed(0)} ms, ${rounds} rounds; heap ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB delta, ` +
      `${gcCount} GCs ${gcMs.toFixed(0)} ms)`,
  );
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200000);
  console.log(`raft-bench: 3 voters in one process, no I/O; ${total} proposals per run (node ${process.version})`);
  await run(Math.min(total, 20000), 1, 128, 'single');
  await run(total, 16, 128, 'single');
  await run(total, 64, 128, 'batch');
  await run(total, 256, 128, 'batch');
  await run(total, 1024, 128, 'batch');
  await run(Math.min(total, 50000), 256, 1024, 'batch');
  await run(total, 1, 128, 'single', 1);
  await run(total, 256, 128, 'batch', 1);
}

// Not a test: skip when loaded by `node --test`.
if (require.main === module && process.env['NODE_TEST_CONTEXT'] === undefined) void main();
