/**
 * etcdserverpb.Cluster: MemberList is served; MemberAdd/Remove/Update/Promote answer
 * UNIMPLEMENTED until membership changes land (cluster issue). Headers carry revision 0, as
 * etcd's ClusterServer does.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { EtcdMember } from '../member';
import type { Member } from '../cluster/membership';
import { unary } from './unary';

export function memberToWire(mb: Member): object {
  return { ID: mb.id.toString(), name: mb.name, peerURLs: mb.peerURLs, clientURLs: mb.clientURLs, isLearner: mb.isLearner };
}

export function clusterService(m: EtcdMember, log: Logger): UntypedServiceImplementation {
  const list = (): object => ({ header: m.header(0), members: m.membership.list().map(memberToWire) });
  return {
    MemberList: unary('MemberList', log, (w) => {
      const barrier = m.readBarrier(w.linearizable !== true);
      return barrier === undefined ? list() : barrier.then(list);
    }),
  };
}
