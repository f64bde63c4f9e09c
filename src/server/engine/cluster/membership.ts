/**
 * The cluster's membership as applied from the log (etcd's `membership.RaftCluster`): members
 * with their ids, names, peer and client URLs and learner flag. Changes arrive only through
 * applied entries, so every member holds the same view at the same index.
 */
export interface Member {
  id: bigint;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

interface MemberJson {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export class Membership {
  readonly clusterId: bigint;
  private readonly members = new Map<bigint, Member>();
  private readonly removed = new Set<bigint>();
  private dirty = false;

  constructor(clusterId: bigint) {
    this.clusterId = clusterId;
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: bigint): Member | undefined {
    return this.members.get(id);
  }

  removedIds(): bigint[] {
    return [...this.removed];
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  add(m: Member): void {
    this.members.set(m.id, { ...m, peerURLs: [...m.peerURLs], clientURLs: [...m.clientURLs] });
    this.dirty = true;
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
    this.dirty = true;
  }

  /** A started member publishes its name and client URLs (etcd's publishV3). */
  publish(id: bigint, name: string, clientURLs: string[]): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    m.name = name;
    m.clientURLs = [...clientURLs];
    this.dirty = true;
  }

  updatePeerURLs(id: bigint, peerURLs: string[]): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    m.peerURLs = [...peerURLs];
    this.dirty = true;
  }

  promote(id: bigint): void {
    const m = this.members.get(id);
    if (m === undefined) return;
    m.isLearner = false;
    this.dirty = true;
  }

  /** The JSON to persist when something changed since the last call, else undefined. */
  takeDirty(): string | undefined {
    if (!this.dirty) return undefined;
    this.dirty = false;
    return this.toJson();
  }

  toJson(): string {
    const members: MemberJson[] = this.list().map((m) => ({
      id: m.id.toString(),
      name: m.name,
      peerURLs: m.peerURLs,
      clientURLs: m.clientURLs,
      isLearner: m.isLearner,
    }));
    return JSON.stringify({ clusterId: this.clusterId.toString(), members, removed: [...this.removed].map(String) });
  }

  static fromJson(json: string): Membership {
    const o = JSON.parse(json) as { clusterId: string };
    const ms = new Membership(BigInt(o.clusterId));
    ms.replaceFrom(json);
    ms.dirty = false;
    return ms;
  }

  /** Replaces the whole membership (snapshot install), keeping this object's identity. */
  replaceFrom(json: string): void {
    const o = JSON.parse(json) as { clusterId: string; members: MemberJson[]; removed: string[] };
    this.members.clear();
    this.removed.clear();
    for (const m of o.members) {
      this.members.set(BigInt(m.id), {
        id: BigInt(m.id),
        name: m.name,
        peerURLs: m.peerURLs,
        clientURLs: m.clientURLs,
        isLearner: m.isLearner,
      });
    }
    for (const r of o.removed) this.removed.add(BigInt(r));
    this.dirty = true;
  }
}
