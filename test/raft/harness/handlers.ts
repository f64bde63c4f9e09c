/** Commands of the transcript tests (see test/raft/testdata/*.txt). */
import { ConfChangeSingle, ConfChangeTransition, ConfChangeType, ReadOnlyOption } from '../../../src/raft';
import { TestCase } from './datadriven';
import { describeConfState, describeEntry } from './describe';
import { EnvNode, HistoryStorage, InteractionEnv, LogLevel, NodeOptions } from './env';

const enc = new TextEncoder();

function arg(tc: TestCase, key: string): string[] | undefined {
  return tc.args.find((a) => a.key === key)?.vals;
}

function argInt(tc: TestCase, key: string, dflt: number): number {
  const v = arg(tc, key);
  return v === undefined || v.length === 0 ? dflt : Number(v[0]);
}

/** Positional (value-less) arguments parsed as node ids. */
function ids(tc: TestCase): bigint[] {
  return tc.args.filter((a) => a.vals.length === 0 && /^\d+$/.test(a.key)).map((a) => BigInt(a.key));
}

function firstId(tc: TestCase): bigint {
  const i = ids(tc);
  if (i.length === 0) throw new Error(`${tc.cmd}: node id required`);
  return i[0]!;
}

function positional(tc: TestCase, n: number): string {
  const p = tc.args.filter((a) => a.vals.length === 0);
  const v = p[n];
  if (v === undefined) throw new Error(`${tc.cmd}: missing argument ${n}`);
  return v.key;
}

function parseChanges(line: string): ConfChangeSingle[] {
  const types: Record<string, ConfChangeType> = { v: 'AddNode', l: 'AddLearnerNode', r: 'RemoveNode', u: 'UpdateNode' };
  return line
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((t) => {
      const ty = types[t[0]!];
      if (ty === undefined) throw new Error(`bad conf change ${t}`);
      return { type: ty, nodeId: BigInt(t.slice(1)) };
    });
}

function addNodes(env: InteractionEnv, tc: TestCase): void {
  const n = Number(positional(tc, 0));
  const voters = (arg(tc, 'voters') ?? []).map((s) => BigInt(s));
  const learners = (arg(tc, 'learners') ?? []).map((s) => BigInt(s));
  const index = argInt(tc, 'index', 0);
  const opts: NodeOptions = {
    preVote: arg(tc, 'prevote')?.[0] === 'true',
    checkQuorum: arg(tc, 'checkquorum')?.[0] === 'true',
    maxInflight: argInt(tc, 'max-inflight', 256),
    maxSizePerMsg: argInt(tc, 'max-size', 1 << 20),
    readOnly: (arg(tc, 'read-only')?.[0] ?? 'safe') as ReadOnlyOption,
    electionTick: argInt(tc, 'election', 10),
    heartbeatTick: argInt(tc, 'heartbeat', 1),
  };
  for (let i = 0; i < n; i++) {
    const id = BigInt(env.nodes.length + 1);
    const storage = new HistoryStorage();
    if (index > 0) {
      storage.applySnapshot({ data: new Uint8Array(0), metadata: { index, term: 1, confState: { voters, learners } } });
    }
    const raw = env.newRawNode(id, storage, opts, index);
    env.nodes.push({ id, raw, storage, opts, confStates: [], applied: [] });
  }
}

function status(env: InteractionEnv, n: EnvNode): void {
  const st = n.raw.status();
  env.out(`${st.id}: ${st.raftState} term=${st.term} vote=${st.vote} lead=${st.lead} commit=${st.commit} applied=${st.applied}`);
  if (st.progress !== undefined) {
    for (const [id, pr] of st.progress) {
      let s = `${id}: State${pr.state} match=${pr.match} next=${pr.next}`;
      if (pr.isLearner) s += ' learner';
      if (pr.paused) s += ' paused';
      if (pr.pendingSnapshot > 0) s += ` pendingSnap=${pr.pendingSnapshot}`;
      if (!pr.recentActive) s += ' inactive';
      if (pr.inflight > 0) s += ` inflight=${pr.inflight}`;
      env.out(s);
    }
  }
}

function raftLog(env: InteractionEnv, n: EnvNode): void {
  const s = n.storage;
  const fi = s.firstIndex();
  const li = s.lastIndex();
  if (li < fi) {
    env.out(`log is empty: first index=${fi}, last index=${li}`);
    return;
  }
  for (const e of s.entries(fi, li + 1, Number.MAX_SAFE_INTEGER)) env.out(describeEntry(e));
}

function guard(env: InteractionEnv, f: () => void): void {
  try {
    f();
  } catch (e) {
    env.out(`ERROR: ${(e as Error).message}`);
  }
}

export function handle(env: InteractionEnv, tc: TestCase): string {
  switch (tc.cmd) {
    case 'log-level':
      env.level = positional(tc, 0) as LogLevel;
      break;
    case 'add-nodes':
      addNodes(env, tc);
      break;
    case 'campaign':
      guard(env, () => env.node(firstId(tc)).raw.campaign());
      break;
    case 'propose': {
      const id = firstId(tc);
      guard(env, () => env.node(id).raw.propose(enc.encode(positional(tc, 1))));
      break;
    }
    case 'propose-conf-change': {
      const n = env.node(firstId(tc));
      const changes = parseChanges(tc.input.join(' '));
      const v1 = arg(tc, 'v1')?.[0] === 'true';
      const tr: Record<string, ConfChangeTransition> = { auto: 'Auto', implicit: 'JointImplicit', explicit: 'JointExplicit' };
      const transition = tr[arg(tc, 'transition')?.[0] ?? 'auto'] ?? 'Auto';
      guard(env, () => {
        if (v1) {
          if (changes.length !== 1) throw new Error('v1 conf change needs exactly one change');
          n.raw.proposeConfChange({ type: changes[0]!.type, nodeId: changes[0]!.nodeId });
        } else {
          n.raw.proposeConfChange({ transition, changes });
        }
      });
      break;
    }
    case 'process-ready':
      for (const id of ids(tc)) {
        if (ids(tc).length > 1) {
          env.out(`> ${id} handling Ready`);
          env.withIndent(() => env.processReady(env.node(id)));
        } else {
          env.processReady(env.node(id));
        }
      }
      break;
    case 'deliver-msgs': {
      const drop = arg(tc, 'drop') !== undefined;
      const targets = drop ? (arg(tc, 'drop') ?? []).map((s) => BigInt(s)) : ids(tc);
      for (const id of targets) env.deliverMsgs(id, drop);
      break;
    }
    case 'stabilize': {
      const which = ids(tc);
      env.stabilize(which.length > 0 ? which : env.nodes.map((n) => n.id));
      break;
    }
    case 'tick-heartbeat': {
      const n = env.node(firstId(tc));
      for (let i = 0; i < n.opts.heartbeatTick; i++) n.raw.tick();
      break;
    }
    case 'tick-election': {
      const n = env.node(firstId(tc));
      for (let i = 0; i < n.opts.electionTick; i++) n.raw.tick();
      break;
    }
    case 'isolate':
      env.isolated.add(firstId(tc));
      break;
    case 'heal':
      env.isolated.clear();
      env.groups.clear();
      break;
    case 'partition':
      // partition (1,2) (3,4,5)
      env.groups.clear();
      tc.args.forEach((a, i) => {
        for (const id of a.key.replace(/[()]/g, '').split(',')) env.groups.set(BigInt(id), i);
      });
      break;
    case 'status':
      status(env, env.node(firstId(tc)));
      break;
    case 'raft-log':
      raftLog(env, env.node(firstId(tc)));
      break;
    case 'raft-state':
      for (const n of env.nodes) {
        const st = n.raw.basicStatus();
        const role = n.raw.status().config.learners.includes(n.id) ? 'Learner' : 'Voter';
        env.out(`${n.id}: ${st.raftState} (${role}) Term:${st.term} Lead:${st.lead}`);
      }
      break;
    case 'conf-state': {
      const n = env.node(firstId(tc));
      env.out(describeConfState(n.raw.status().config));
      break;
    }
    case 'compact': {
      const n = env.node(firstId(tc));
      const index = Number(positional(tc, 1));
      guard(env, () => {
        n.storage.createSnapshot(index, env.confStateAt(n, index), new Uint8Array(0));
        n.storage.compact(index);
      });
      raftLog(env, n);
      break;
    }
    case 'transfer-leadership': {
      const from = BigInt(arg(tc, 'from')![0]!);
      const to = BigInt(arg(tc, 'to')![0]!);
      env.node(from).raw.transferLeader(to);
      break;
    }
    case 'read-index': {
      const id = firstId(tc);
      env.node(id).raw.readIndex(enc.encode(positional(tc, 1)));
      break;
    }
    case 'report-unreachable':
      env.node(firstId(tc)).raw.reportUnreachable(BigInt(positional(tc, 1)));
      break;
    case 'report-snapshot':
      env.node(firstId(tc)).raw.reportSnapshot(BigInt(positional(tc, 1)), positional(tc, 2) === 'failure' ? 'failure' : 'finish');
      break;
    case 'restart': {
      const n = env.node(firstId(tc));
      const applied = n.storage.snapshot().metadata.index;
      n.raw = env.newRawNode(n.id, n.storage, n.opts, applied);
      env.messages = env.messages.filter((m) => m.from !== n.id);
      break;
    }
    case 'applied': {
      const n = env.node(firstId(tc));
      env.out(`${n.id}: [${n.applied.join(' ')}]`);
      break;
    }
    default:
      throw new Error(`unknown command ${tc.cmd}`);
  }
  return env.takeOutput();
}
