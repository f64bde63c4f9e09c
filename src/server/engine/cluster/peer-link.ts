/**
 * Connects a member to its peers: the peer transport on --listen-peer-urls, Raft messages in and
 * out, snapshots, and the transport's peer set following the applied membership.
 */
import type { Logger } from 'pino';
import type { EtcdMember } from '../member';
import { PeerTransport } from '../peer/transport';
import { membersService } from './members-rpc';
import { promoteMember } from './reconfig';

export async function linkPeers(m: EtcdMember, listenPeerUrls: URL[], log: Logger, onRemoved: () => void): Promise<PeerTransport> {
  const loop = m.loop;
  // As etcd's stopWithDelay: answer the requests under way (e.g. the MemberRemove that removed
  // us) before stopping, whether we learn of the removal by applying it or from a peer.
  let stopping = false;
  const stopSoon = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(onRemoved, 1000).unref();
  };
  const transport = new PeerTransport({
    memberId: m.memberId,
    clusterId: m.clusterId,
    log,
    onMessage: (msg) => loop.step(msg),
    onSnapshot: (msg) => loop.step(msg),
    reportUnreachable: (id) => loop.reportUnreachable(id),
    reportSnapshot: (id, status) => loop.reportSnapshot(id, status),
    // Like etcd's merged snapshot: the state as of the applied index, with that index, its term
    // and the CURRENT configuration in the metadata. Raft's stored snapshot may predate the
    // member being added, and a member not in a snapshot's configuration refuses it.
    snapshotBlob: (msg) => {
      const applied = loop.appliedIndex;
      if (msg.snapshot !== undefined) {
        msg.snapshot = { data: msg.snapshot.data, metadata: { index: applied, term: loop.termAt(applied), confState: loop.confState } };
      }
      return m.applier.snapshotBlob(applied);
    },
    onRemoved: stopSoon,
    removed: m.membership.removedIds(),
    stats: m.stats.peer,
    tls: m.peerTls,
    services: [membersService(m.membership, (id) => promoteMember(m, id))],
  });
  await transport.listen(listenPeerUrls);
  for (const mb of m.membership.list()) {
    if (mb.id !== m.memberId) transport.addPeer(mb.id, mb.peerURLs);
  }
  loop.sendMessages = (msgs) => transport.send(msgs);
  m.peerActiveSince = (id) => transport.activeSince(id);
  m.onMembershipChange = (cc) => {
    const mb = m.membership.get(cc.nodeId);
    switch (cc.type) {
      case 'AddNode':
      case 'AddLearnerNode':
      case 'UpdateNode':
        if (cc.nodeId === m.memberId || mb === undefined) return;
        if (cc.type === 'UpdateNode') transport.updatePeer(cc.nodeId, mb.peerURLs);
        else transport.addPeer(cc.nodeId, mb.peerURLs);
        return;
      case 'RemoveNode':
        if (cc.nodeId === m.memberId) {
          log.warn({ 'member-id': m.memberId.toString(16) }, 'the member has been permanently removed from the cluster');
          // A removed leader hands over at once, so the others need not wait an election timeout.
          void m.transferLeadershipBeforeStop().catch(() => undefined);
          stopSoon();
        } else {
          transport.removePeer(cc.nodeId);
        }
        return;
    }
  };
  return transport;
}
