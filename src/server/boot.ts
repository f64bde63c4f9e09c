/**
 * Works out who this member is and what Raft state it starts from: either what the data dir
 * holds (a restart ignores the --initial-* flags, as etcd does), or a brand-new cluster from
 * --initial-cluster with etcd's member and cluster id derivation.
 */
import type { Config } from './config';
import { verifyBootstrap } from './config';
import { clusterId, memberId } from './cluster/ids';
import { Membership } from './cluster/membership';
import type { BootState, MemberRecord } from './storage/member-db';
import { DataDirError } from './storage/member-db';

export interface Identity {
  memberId: bigint;
  clusterId: bigint;
  membership: Membership;
  /** True when this start creates the cluster (Raft must be bootstrapped with the voters). */
  bootstrap: boolean;
  /** Voter ids to bootstrap Raft with (empty on restart). */
  peers: bigint[];
}

export function resolveIdentity(config: Config, boot: BootState): Identity {
  if (boot.member !== undefined) return restartIdentity(boot, boot.member);
  if (config.initialClusterState === 'existing') {
    throw new DataDirError('--initial-cluster-state=existing (joining a running cluster) is not supported yet');
  }
  verifyBootstrap(config);
  const ids = config.initialCluster.map((m) => memberId(m.peerUrls, config.initialClusterToken));
  const self = config.initialCluster.findIndex((m) => m.name === config.name);
  const myId = ids[self]!;
  const cid = clusterId(ids);
  const membership = new Membership(cid);
  config.initialCluster.forEach((m, i) => {
    membership.add({ id: ids[i]!, name: m.name, peerURLs: [...m.peerUrls].sort(), clientURLs: [], isLearner: false });
  });
  return { memberId: myId, clusterId: cid, membership, bootstrap: true, peers: ids };
}

/** etcd keys a data dir by member id, not name: a restarted member keeps its identity. */
function restartIdentity(boot: BootState, rec: MemberRecord): Identity {
  const membership =
    boot.members !== undefined ? Membership.fromJson(boot.members) : new Membership(BigInt(rec.clusterId));
  return {
    memberId: BigInt(rec.memberId),
    clusterId: BigInt(rec.clusterId),
    membership,
    bootstrap: false,
    peers: [],
  };
}

export function memberRecord(name: string, id: Identity): MemberRecord {
  return { name, memberId: id.memberId.toString(), clusterId: id.clusterId.toString() };
}
