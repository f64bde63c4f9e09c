/** Helpers for tests that drive the Raft state machine directly (no Ready loop). */
import { ConfState, Entry, EntryType, HardState, MemoryStorage, Message, MessageType, RawNode, newMessage } from '../../../src/raft';
import { Raft } from '../../../src/raft/raft';

/** A MemoryStorage whose initial configuration is given (like etcd's withPeers). */
export class PeerStorage extends MemoryStorage {
  constructor(private readonly cs: ConfState) {
    super();
  }

  override initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: super.initialState().hardState, confState: this.cs };
  }
}

export function withPeers(...ids: number[]): PeerStorage {
  return new PeerStorage({ voters: ids.map(BigInt), learners: [] });
}

export function withLearners(voters: number[], learners: number[]): PeerStorage {
  return new PeerStorage({ voters: voters.map(BigInt), learners: learners.map(BigInt) });
}

export interface TestRaftOpts {
  preVote?: boolean;
  checkQuorum?: boolean;
  random?: (n: number) => number;
  maxSizePerMsg?: number;
}

export function newTestRaft(id: number, election: number, heartbeat: number, storage: MemoryStorage, opts: TestRaftOpts = {}): Raft {
  return new RawNode({
    id: BigInt(id),
    electionTick: election,
    heartbeatTick: heartbeat,
    storage,
    random: opts.random ?? (() => 0),
    preVote: opts.preVote ?? false,
    checkQuorum: opts.checkQuorum ?? false,
    maxSizePerMsg: opts.maxSizePerMsg ?? Number.MAX_SAFE_INTEGER,
    maxInflightMsgs: 256,
  }).raft;
}

export function readMessages(r: Raft): Message[] {
  const m = r.msgs;
  r.msgs = [];
  return m;
}

export function ent(term: number, index: number, data = ''): Entry {
  return { term, index, type: EntryType.EntryNormal, data: new TextEncoder().encode(data) };
}

export function msg(type: MessageType, from: number, to: number, fields: Partial<Message> = {}): Message {
  return newMessage({ ...fields, type, from: BigInt(from), to: BigInt(to) });
}

export function tryStep(r: Raft, m: Message): void {
  try {
    r.step(m);
  } catch {
    /* dropped proposals are fine in tests */
  }
}

/** Synchronous in-process network over Raft instances (like etcd's test `network`). */
export class Net {
  readonly peers = new Map<bigint, Raft>();
  private readonly cut = new Set<string>();
  private readonly isolated = new Set<bigint>();

  constructor(rafts: (Raft | undefined)[], election = 10, heartbeat = 1, opts: TestRaftOpts = {}) {
    const ids = rafts.map((_, i) => i + 1);
    rafts.forEach((r, i) => {
      const id = BigInt(i + 1);
      this.peers.set(id, r ?? newTestRaft(i + 1, election, heartbeat, withPeers(...ids), opts));
    });
  }

  get(id: number): Raft {
    return this.peers.get(BigInt(id))!;
  }

  cutLink(a: number, b: number): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  isolate(id: number): void {
    this.isolated.add(BigInt(id));
  }

  recover(): void {
    this.cut.clear();
    this.isolated.clear();
  }

  private dropped(m: Message): boolean {
    return this.cut.has(`${m.from}-${m.to}`) || this.isolated.has(m.from) || this.isolated.has(m.to);
  }

  /** Delivers the messages and everything they cause, until quiescence. */
  send(...msgs: Message[]): void {
    const queue = msgs.slice();
    while (queue.length > 0) {
      const m = queue.shift()!;
      const p = this.peers.get(m.to);
      if (p === undefined || this.dropped(m)) continue;
      tryStep(p, m);
      queue.push(...readMessages(p));
    }
  }

  campaign(id: number): void {
    this.send(msg(MessageType.MsgHup, id, id));
  }

  propose(id: number, data: string): void {
    this.send(msg(MessageType.MsgProp, id, id, { entries: [ent(0, 0, data)] }));
  }
}
