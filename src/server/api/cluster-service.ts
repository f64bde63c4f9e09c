/**
 * etcdserverpb.Cluster (etcd `v3rpc/member.go`): membership changes go through Raft as conf
 * changes; headers carry revision 0, as etcd's ClusterServer does.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdMember } from '../engine/member';
import type { Member } from '../engine/cluster/membership';
import { addMember, promoteMember, removeMember, updateMember } from '../engine/cluster/reconfig';
import { unary } from './unary';

export function memberToWire(mb: Member): object {
  return { ID: mb.id.toString(), name: mb.name, peerURLs: mb.peerURLs, clientURLs: mb.clientURLs, isLearner: mb.isLearner };
}

export function clusterService(m: EtcdMember, log: Logger): UntypedServiceImplementation {
  const members = (): object[] => m.membership.list().map(memberToWire);
  const list = (): object => ({ header: m.header(0), members: members() });
  const ids = (w: Record<string, unknown>): bigint => BigInt(w.ID as string);
  return {
    MemberList: unary('MemberList', log, (w) => {
      const barrier = m.readBarrier(w.linearizable !== true);
      return barrier === undefined ? list() : barrier.then(list);
    }),
    MemberAdd: unary('MemberAdd', log, async (w) => {
      const added = await addMember(m, w.peerURLs as string[], w.isLearner === true);
      return { header: m.header(0), member: memberToWire(added), members: members() };
    }),
    MemberRemove: unary('MemberRemove', log, async (w) => {
      await removeMember(m, ids(w));
      return list();
    }),
    MemberUpdate: unary('MemberUpdate', log, async (w) => {
      await updateMember(m, ids(w), w.peerURLs as string[]);
      return list();
    }),
    MemberPromote: unary('MemberPromote', log, async (w) => {
      await promoteMember(m, ids(w));
      return list();
    }),
  };
}
