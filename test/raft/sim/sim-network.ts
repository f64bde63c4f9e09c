/** A simulated network: delays, drops, duplicates, reordering and partitions, all seeded. */
import { Message } from '../../../src/raft';
import { Prng } from '../helpers/prng';

export interface NetFaults {
  dropRate: number;
  dupRate: number;
  maxDelay: number;
}

interface InFlight {
  at: number;
  seq: number;
  m: Message;
}

export class SimNetwork {
  private queue: InFlight[] = [];
  private seq = 0;
  /** Partition groups: nodes in different groups cannot talk. Empty = fully connected. */
  private group = new Map<bigint, number>();
  faults: NetFaults;

  constructor(
    private readonly prng: Prng,
    faults: NetFaults,
  ) {
    this.faults = faults;
  }

  partition(groups: bigint[][]): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((id) => this.group.set(id, i)));
  }

  heal(): void {
    this.group.clear();
  }

  connected(a: bigint, b: bigint): boolean {
    if (this.group.size === 0) return true;
    return (this.group.get(a) ?? -1) === (this.group.get(b) ?? -1);
  }

  /** Returns false if the message was dropped at send time. */
  send(m: Message, now: number): boolean {
    if (!this.connected(m.from, m.to) || this.prng.chance(this.faults.dropRate)) return false;
    const copies = this.prng.chance(this.faults.dupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.queue.push({ at: now + this.prng.int(this.faults.maxDelay + 1), seq: this.seq++, m });
    }
    return true;
  }

  /** Messages due at `now`, in a random order (reordering), checking partitions at delivery. */
  due(now: number): Message[] {
    const ready: InFlight[] = [];
    const rest: InFlight[] = [];
    for (const f of this.queue) (f.at <= now ? ready : rest).push(f);
    this.queue = rest;
    for (let i = ready.length - 1; i > 0; i--) {
      const j = this.prng.int(i + 1);
      [ready[i], ready[j]] = [ready[j]!, ready[i]!];
    }
    return ready.filter((f) => this.connected(f.m.from, f.m.to)).map((f) => f.m);
  }

  pending(): number {
    return this.queue.length;
  }
}
