/**
 * Works out who this member is and what Raft state it starts from: either what the data dir
 * holds (a restart ignores the --initial-* flags, as etcd does), or a brand-new cluster from
 * --initial-cluster with etcd's member and cluster id derivation.
 */
import type { Config } from '../config/config';
import { verifyBootstrap } from '../config/config';
import { clusterId, memberId } from './cluster/ids';
import { Membership } from './cluster/membership';
import type { BootState, MemberRecord } from './storage/member-db';
import { DataDirError } from './storage/member-db';
import type { Logger } from 'pino';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { fetchMembers } from './cluster/members-rpc';

export interface Identity {
  memberId: bigint;
  clusterId: bigint;
  membership: Membership;
  /** True when this start creates the cluster (Raft must be bootstrapped with the voters). */
  bootstrap: boolean;
  /** True on the first start of this data dir (the identity must be persisted). */
  fresh: boolean;
  /** Voter ids to bootstrap Raft with (empty on restart). */
  peers: bigint[];
}

export async function resolveIdentity(
  config: Config,
  boot: BootState,
  log: Logger,
  peerCredentials: (url: string) => ChannelCredentials,
): Promise<Identity> {
  if (boot.member !== undefined) return restartIdentity(boot, boot.member);
  verifyBootstrap(config);
  if (config.initialClusterState === 'existing') return joinIdentity(config, log, peerCredentials);
  const ids = config.initialCluster.map((m) => memberId(m.peerUrls, config.initialClusterToken));
  const self = config.initialCluster.findIndex((m) => m.name === config.name);
  const myId = ids[self]!;
  const cid = clusterId(ids);
  const membership = new Membership(cid);
  config.initialCluster.forEach((m, i) => {
    membership.add({ id: ids[i]!, name: m.name, peerURLs: [...m.peerUrls].sort(), clientURLs: [], isLearner: false });
  });
  return { memberId: myId, clusterId: cid, membership, bootstrap: true, fresh: true, peers: ids };
}

/**
 * etcd keys a data dir by member id, not name: a restarted member keeps its identity. A member
 * killed after recording its identity but before its first Raft write bootstraps again.
 */
function restartIdentity(boot: BootState, rec: MemberRecord): Identity {
  const unfinished =
    rec.bootstrapPeers !== undefined && boot.hardState === undefined && boot.entries.length === 0 && boot.snapshot === undefined;
  const membership = boot.members !== undefined ? Membership.fromJson(boot.members) : new Membership(BigInt(rec.clusterId));
  return {
    memberId: BigInt(rec.memberId),
    clusterId: BigInt(rec.clusterId),
    membership,
    bootstrap: unfinished,
    fresh: false,
    peers: unfinished ? rec.bootstrapPeers!.map(BigInt) : [],
  };
}

/**
 * --initial-cluster-state existing: asks the other members of --initial-cluster for the cluster's
 * membership and finds this member (added beforehand with `etcdctl member add`) by its peer URLs.
 */
async function joinIdentity(config: Config, log: Logger, peerCredentials: (url: string) => ChannelCredentials): Promise<Identity> {
  const mine = [...config.initialAdvertisePeerUrls].sort();
  const others = config.initialCluster.filter((m) => m.name !== config.name).flatMap((m) => m.peerUrls);
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const url of others) {
      try {
        const { clusterId: cid, membersJson } = await fetchMembers(url, 2000, peerCredentials(url));
        const membership = Membership.fromJson(membersJson);
        const me = membership.list().find((m) => [...m.peerURLs].sort().join(',') === mine.join(','));
        if (me === undefined) {
          throw new DataDirError(
            `member with peer URLs ${mine.join(',')} is not in the existing cluster ${cid.toString(16)}; add it first with "etcdctl member add"`,
          );
        }
        log.info({ 'member-id': me.id.toString(16), 'cluster-id': cid.toString(16), from: url }, 'joining existing cluster');
        return { memberId: me.id, clusterId: cid, membership, bootstrap: false, fresh: true, peers: [] };
      } catch (e) {
        if (e instanceof DataDirError) throw e;
        if (attempt === 4) log.warn({ address: url, error: (e as Error).message }, 'failed to get cluster response');
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new DataDirError('cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs');
}

export function memberRecord(name: string, id: Identity): MemberRecord {
  const rec: MemberRecord = { name, memberId: id.memberId.toString(), clusterId: id.clusterId.toString() };
  if (id.bootstrap) rec.bootstrapPeers = id.peers.map(String);
  return rec;
}
