/** The interaction environment behind the transcript tests: nodes, a message pool, output. */
import {
  ConfState,
  EntryType,
  MemoryStorage,
  Message,
  RawNode,
  RaftLogger,
  Snapshot,
  ReadOnlyOption,
  decodeConfChange,
  decodeConfChangeV2,
} from '../../../src/raft';
import { describeMessage, describeReady } from './describe';

export type LogLevel = 'debug' | 'info' | 'warn' | 'none';
const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, none: 3 };

export interface NodeOptions {
  preVote: boolean;
  checkQuorum: boolean;
  maxInflight: number;
  maxSizePerMsg: number;
  readOnly: ReadOnlyOption;
  electionTick: number;
  heartbeatTick: number;
}

/**
 * Like etcd's interaction harness, the snapshot a node sends is its latest applied state (an
 * application that snapshots on demand), not the last compaction point.
 */
export class HistoryStorage extends MemoryStorage {
  history: Snapshot[] = [];

  override snapshot(): Snapshot {
    const h = this.history[this.history.length - 1];
    const base = super.snapshot();
    return h !== undefined && h.metadata.index > base.metadata.index ? h : base;
  }
}

export interface EnvNode {
  id: bigint;
  raw: RawNode;
  storage: HistoryStorage;
  opts: NodeOptions;
  /** ConfState after every applied conf change, by index (to build snapshots). */
  confStates: { index: number; cs: ConfState }[];
  applied: string[];
}

const dec = new TextDecoder();

export class InteractionEnv {
  nodes: EnvNode[] = [];
  messages: Message[] = [];
  private lines: string[] = [];
  private indent = 0;
  level: LogLevel = 'info';
  /** Nodes whose traffic is dropped (both directions). */
  isolated = new Set<bigint>();
  /** Partition groups (node -> group); nodes in different groups cannot talk. Empty = none. */
  groups = new Map<bigint, number>();

  cutOff(from: bigint, to: bigint): boolean {
    if (this.isolated.has(from) || this.isolated.has(to)) return true;
    if (this.groups.size === 0) return false;
    return (this.groups.get(from) ?? -1) !== (this.groups.get(to) ?? -1);
  }

  takeOutput(): string {
    const s = this.lines.join('\n');
    this.lines = [];
    return s;
  }

  out(line: string): void {
    this.lines.push('  '.repeat(this.indent) + line);
  }

  withIndent(f: () => void): void {
    this.indent++;
    try {
      f();
    } finally {
      this.indent--;
    }
  }

  logger(): RaftLogger {
    const emit = (lvl: LogLevel, tag: string) => (msg: string) => {
      if (LEVELS[lvl] >= LEVELS[this.level]) this.out(`${tag} ${msg}`);
    };
    return { debug: emit('debug', 'DEBUG'), info: emit('info', 'INFO'), warn: emit('warn', 'WARN') };
  }

  node(id: bigint): EnvNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`unknown node ${id}`);
    return n;
  }

  newRawNode(id: bigint, storage: HistoryStorage, opts: NodeOptions, applied: number): RawNode {
    return new RawNode({
      id,
      electionTick: opts.electionTick,
      heartbeatTick: opts.heartbeatTick,
      storage,
      applied,
      maxSizePerMsg: opts.maxSizePerMsg,
      maxInflightMsgs: opts.maxInflight,
      preVote: opts.preVote,
      checkQuorum: opts.checkQuorum,
      readOnlyOption: opts.readOnly,
      // Deterministic transcripts: the randomized election timeout equals electionTick.
      random: () => 0,
      logger: this.logger(),
    });
  }

  /** Handles one Ready: persist, apply, queue messages, advance. */
  processReady(n: EnvNode): void {
    const rd = n.raw.ready();
    for (const l of describeReady(rd)) this.out(l);
    if (rd.snapshot !== undefined) {
      n.storage.applySnapshot(rd.snapshot);
      n.confStates.push({ index: rd.snapshot.metadata.index, cs: rd.snapshot.metadata.confState });
    }
    n.storage.append(rd.entries);
    if (rd.hardState !== undefined) n.storage.setHardState(rd.hardState);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryConfChange) {
        const cs = n.raw.applyConfChange(decodeConfChange(e.data));
        n.confStates.push({ index: e.index, cs });
      } else if (e.type === EntryType.EntryConfChangeV2) {
        const cs = n.raw.applyConfChange(decodeConfChangeV2(e.data));
        n.confStates.push({ index: e.index, cs });
      } else if (e.data.length > 0) {
        n.applied.push(dec.decode(e.data));
      }
      n.storage.history.push({ data: new Uint8Array(0), metadata: { index: e.index, term: e.term, confState: n.raw.status().config } });
    }
    for (const m of rd.messages) {
      // Traffic of isolated nodes never enters the network.
      if (!this.cutOff(m.from, m.to)) this.messages.push(m);
    }
    n.raw.advance(rd);
  }

  /** Delivers (or drops) queued messages addressed to `id`; returns how many there were. */
  deliverMsgs(id: bigint, drop: boolean): number {
    const mine = this.messages.filter((m) => m.to === id);
    if (mine.length === 0) return 0;
    this.messages = this.messages.filter((m) => m.to !== id);
    for (const m of mine) {
      if (drop || this.cutOff(m.from, m.to)) {
        this.out(`dropped: ${describeMessage(m)}`);
        continue;
      }
      this.out(describeMessage(m));
      const n = this.nodes.find((x) => x.id === id);
      if (n === undefined) continue;
      try {
        n.raw.step(m);
      } catch (e) {
        this.out(`ERROR: ${(e as Error).message}`);
      }
    }
    return mine.length;
  }

  stabilize(ids: bigint[]): void {
    for (;;) {
      let done = true;
      for (const id of ids) {
        const n = this.node(id);
        if (n.raw.hasReady()) {
          done = false;
          this.out(`> ${id} handling Ready`);
          this.withIndent(() => this.processReady(n));
        }
      }
      for (const id of ids) {
        if (this.messages.some((m) => m.to === id)) {
          done = false;
          this.out(`> ${id} receiving messages`);
          this.withIndent(() => this.deliverMsgs(id, false));
        }
      }
      if (done) return;
    }
  }

  confStateAt(n: EnvNode, index: number): ConfState {
    let cs: ConfState = n.storage.snapshot().metadata.confState;
    for (const c of n.confStates) if (c.index <= index) cs = c.cs;
    return cs;
  }
}
