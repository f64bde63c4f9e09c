/**
 * One randomized schedule: a 3- or 5-voter cluster (plus spare nodes that may join) on a
 * faulty simulated network, with crashes/restarts, partitions, membership changes, leader
 * transfers, proposals and ReadIndex requests. Safety is checked continuously; at the end the
 * faults stop and the cluster must make progress again (liveness).
 */
import { ConfChange, MemoryStorage, Message, MessageType } from '../../../src/raft';
import { Prng } from '../helpers/prng';
import { Checker } from './sim-checker';
import { SimNetwork } from './sim-network';
import { SimNode } from './sim-node';

const enc = new TextEncoder();

export interface ScheduleResult {
  steps: number;
  writes: number;
  reads: number;
  leaders: number;
  confChanges: number;
  crashes: number;
}

export function runSchedule(seed: number, steps = 300): ScheduleResult {
  const prng = new Prng(seed);
  const size = prng.chance(0.5) ? 3 : 5;
  const spares = prng.int(3);
  const cfg = {
    preVote: prng.chance(0.5),
    checkQuorum: prng.chance(0.5),
    electionTick: 10,
    heartbeatTick: 1 + prng.int(2),
    maxSizePerMsg: prng.pick([0, 64, 1024 * 1024]),
    maxInflight: prng.pick([1, 4, 256]),
  };
  const faults = {
    dropRate: prng.pick([0, 0.02, 0.1, 0.2]),
    dupRate: prng.pick([0, 0.05]),
    maxDelay: prng.pick([0, 1, 3]),
  };
  const pCrash = prng.pick([0, 0.005, 0.02]);
  const pPartition = prng.pick([0, 0.01, 0.03]);
  const pConf = prng.pick([0, 0.02, 0.05]);
  const pTransfer = prng.pick([0, 0.01, 0.03]);
  const compactKeep = prng.pick([undefined, 0, 3, 10]);

  const checker = new Checker();
  const net = new SimNetwork(prng, { ...faults });
  const voters = Array.from({ length: size }, (_, i) => BigInt(i + 1));
  const nodes: SimNode[] = [];
  for (let i = 1; i <= size + spares; i++) {
    const storage = new MemoryStorage();
    const initial = i <= size ? { voters, learners: [] as bigint[] } : { voters: [] as bigint[], learners: [] as bigint[] };
    if (i <= size) storage.applySnapshot({ data: new Uint8Array(0), metadata: { index: 1, term: 1, confState: initial } });
    nodes.push(new SimNode(BigInt(i), storage, cfg, prng, initial));
  }
  const byId = (id: bigint) => nodes[Number(id) - 1];
  let now = 0;
  let writeSeq = 0;
  let readSeq = 0;
  let confChanges = 0;
  let crashes = 0;
  const everAdded = new Set<bigint>();

  const send = (from: SimNode, msgs: Message[]) => {
    for (const m of msgs) {
      const ok = net.send(m, now);
      if (m.type === MessageType.MsgSnap) {
        // The transport tells raft how the snapshot went.
        const to = m.to;
        from.tryDo((raw) => raw.reportSnapshot(to, ok ? 'finish' : 'failure'));
      } else if (!ok && prng.chance(0.1)) {
        from.tryDo((raw) => raw.reportUnreachable(m.to));
      }
    }
  };

  const membersOf = (n: SimNode) => new Set([...n.confState.voters, ...n.confState.learners, ...(n.confState.votersOutgoing ?? [])]);
  // `id` is outside the most recently applied configuration and every member of that
  // configuration has applied a configuration without it.
  const removedEverywhere = (id: bigint): boolean => {
    let latest: SimNode | undefined;
    for (const n of nodes) if (!n.removed && (latest === undefined || n.appliedIndex > latest.appliedIndex)) latest = n;
    if (latest === undefined) return false;
    const members = membersOf(latest);
    if (members.has(id) || members.size === 0) return false;
    return [...members].every((m) => !membersOf(byId(m)!).has(id));
  };

  const leader = (): SimNode | undefined => {
    let best: SimNode | undefined;
    for (const n of nodes) {
      if (n.raw?.raft.state === 'StateLeader' && (best === undefined || n.raw.raft.term > best.raw!.raft.term)) best = n;
    }
    return best;
  };

  const processAll = () => {
    for (let round = 0; round < 4; round++) {
      let any = false;
      for (const n of nodes) {
        if (n.raw === undefined || !n.raw.hasReady()) continue;
        any = true;
        send(n, n.handleReady(checker, compactKeep !== undefined && prng.chance(0.2) ? compactKeep : undefined));
      }
      if (!any) break;
    }
    for (const n of nodes) {
      if (n.raw?.raft.state === 'StateLeader') checker.leader(n.raw.raft.term, n.id);
    }
  };

  const step = (faultsOn: boolean) => {
    now++;
    for (const n of nodes) n.raw?.tick();
    for (const m of net.due(now)) {
      const n = byId(m.to);
      if (n === undefined || !n.up) continue;
      if (removedEverywhere(m.from)) {
        // Like etcd's transport: a removed member learns it was removed and shuts down. (Only
        // once every remaining member has applied the removal: a member still in the joint
        // configuration may need the removed ones' votes to learn that it was left.)
        const sender = byId(m.from)!;
        sender.removed = true;
        sender.crash();
        continue;
      }
      n.tryDo((raw) => raw.step(m));
    }
    // Client traffic.
    if (prng.chance(0.3)) {
      const n = prng.pick(nodes);
      const data = enc.encode(`w${seed}-${writeSeq++}`);
      n.tryDo((raw) => (prng.chance(0.2) ? raw.proposeBatch([data, enc.encode(`w${seed}-${writeSeq++}`)]) : raw.propose(data)));
    }
    if (prng.chance(0.15)) {
      const n = prng.pick(nodes);
      if (n.up) {
        const ctx = `r${readSeq++}`;
        checker.issueRead(ctx);
        n.tryDo((raw) => raw.readIndex(enc.encode(ctx)));
      }
    }
    if (faultsOn) injectFaults();
    processAll();
  };

  const injectFaults = () => {
    if (prng.chance(pCrash)) {
      const up = nodes.filter((n) => n.up);
      if (up.length > 0) {
        prng.pick(up).crash();
        crashes++;
      }
    }
    if (prng.chance(pCrash * 3)) {
      const down = nodes.filter((n) => !n.up && !n.removed);
      if (down.length > 0) prng.pick(down).start();
    }
    if (prng.chance(pPartition)) {
      const ids = nodes.map((n) => n.id);
      const a: bigint[] = [];
      const b: bigint[] = [];
      for (const id of ids) (prng.chance(0.5) ? a : b).push(id);
      net.partition([a, b]);
    }
    if (prng.chance(pPartition * 2)) net.heal();
    const l = leader();
    if (l !== undefined && prng.chance(pConf)) proposeConfChange(l);
    if (l !== undefined && prng.chance(pTransfer)) {
      const vs = l.raw!.raft.prs.voterNodes();
      const to = prng.pick(vs);
      l.tryDo((raw) => raw.transferLeader(to));
    }
  };

  const proposeConfChange = (l: SimNode) => {
    const cs = l.raw!.status().config;
    if ((cs.votersOutgoing ?? []).length > 0) {
      // In a joint configuration entered with JointExplicit: leave it with an empty change.
      if (cs.autoLeave !== true && l.tryDo((raw) => raw.proposeConfChange({ transition: 'Auto', changes: [] }))) confChanges++;
      return;
    }
    const candidates: ConfChange[] = [];
    for (const n of nodes) {
      if (n.removed) continue;
      const isVoter = cs.voters.includes(n.id);
      const isLearner = cs.learners.includes(n.id);
      // Like etcd, a member id is never reused once removed.
      if (!isVoter && !isLearner && n.id > BigInt(size) && !everAdded.has(n.id)) candidates.push({ type: 'AddLearnerNode', nodeId: n.id });
      if (isLearner) candidates.push({ type: 'AddNode', nodeId: n.id });
      if (isVoter && cs.voters.length > 3 && n.id !== l.id) candidates.push({ type: 'RemoveNode', nodeId: n.id });
    }
    if (candidates.length === 0) return;
    const cc = prng.pick(candidates);
    if (cc.type === 'AddLearnerNode') everAdded.add(cc.nodeId);
    if (candidates.length > 1 && prng.chance(0.3)) {
      // Joint consensus: two changes at once (never the same node twice).
      const other = prng.pick(candidates.filter((c) => c.nodeId !== cc.nodeId));
      if (other !== undefined) {
        if (other.type === 'AddLearnerNode') everAdded.add(other.nodeId);
        const transition = prng.chance(0.5) ? 'Auto' : prng.chance(0.5) ? 'JointImplicit' : 'JointExplicit';
        const changes = [cc, other].map((c) => ({ type: c.type, nodeId: c.nodeId }));
        if (l.tryDo((raw) => raw.proposeConfChange({ transition, changes }))) confChanges++;
        return;
      }
    }
    const ok = prng.chance(0.3)
      ? l.tryDo((raw) => raw.proposeConfChange({ transition: 'Auto', changes: [{ type: cc.type, nodeId: cc.nodeId }] }))
      : l.tryDo((raw) => raw.proposeConfChange(cc));
    if (ok) confChanges++;
  };

  try {
    for (let i = 0; i < steps; i++) {
      step(true);
      if (i % 25 === 0) checkLogMatching(nodes);
    }
    // Liveness: faults stop, crashed nodes restart; a leader must emerge and commit a write.
    net.heal();
    net.faults = { dropRate: 0, dupRate: 0, maxDelay: faults.maxDelay };
    for (const n of nodes) if (!n.up && !n.removed) n.start();
    const before = checker.maxCommitted;
    let done = false;
    for (let i = 0; i < 400 && !done; i++) {
      step(false);
      const l = leader();
      if (l !== undefined && i % 10 === 0) l.tryDo((raw) => raw.propose(enc.encode(`final${seed}-${i}`)));
      done = checker.maxCommitted > before && l !== undefined && l.raw!.raft.raftLog.committed >= checker.maxCommitted;
    }
    if (!done) {
      const states = nodes
        .map((n) => `${n.id}:${n.raw?.raft.state ?? (n.removed ? 'removed' : 'down')}/t${n.raw?.raft.term ?? '-'}`)
        .join(' ');
      const l = leader();
      let detail = '';
      if (l !== undefined) {
        const st = l.raw!.status();
        const prs = [...(st.progress ?? new Map()).entries()]
          .map(([id, p]) => `${id}:${p.state}/m${p.match}/n${p.next}${p.paused ? '/paused' : ''}`)
          .join(' ');
        detail = ` leader ${l.id} commit ${st.commit} last ${l.raw!.raft.raftLog.lastIndex()} config ${JSON.stringify(st.config, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))} progress ${prs} transferee ${st.leadTransferee}`;
      }
      throw new Error(`liveness: no progress after faults stopped (${states})${detail}`);
    }
    checkLogMatching(nodes);
  } catch (e) {
    const err = e as Error;
    err.message = `seed ${seed}: ${err.message} (replay with RAFT_SIM_SEED=${seed})`;
    throw err;
  }
  return { steps, writes: checker.writesAcked, reads: checker.readsAnswered, leaders: checker.leaderCount(), confChanges, crashes };
}

function checkLogMatching(nodes: SimNode[]): void {
  const live = nodes.filter((n) => n.up);
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) Checker.logMatching(live[i]!.raw!.raft, live[j]!.raw!.raft);
  }
}
