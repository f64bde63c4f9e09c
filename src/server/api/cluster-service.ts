/**
 * etcdserverpb.Cluster (etcd `v3rpc/member.go`): membership changes go through Raft as conf
 * changes; headers carry revision 0, as etcd's ClusterServer does.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RequestMetadata } from './request-metadata';
import { requireAdmin, requireUser, type CertCall } from './auth/credentials';
import type { MemberApi } from '../engine/member-api';
import type { Member } from '../engine/cluster/membership';
import { unary } from './unary';

export function memberToWire(mb: Member): object {
  return { ID: mb.id.toString(), name: mb.name, peerURLs: mb.peerURLs, clientURLs: mb.clientURLs, isLearner: mb.isLearner };
}

export function clusterService(m: MemberApi, log: Logger): UntypedServiceImplementation {
  const members = (): object[] => m.membership.list().map(memberToWire);
  const list = (): object => ({ header: m.header(0), members: members() });
  const ids = (w: Record<string, unknown>): bigint => BigInt(w.ID as string);
  /** etcd's checkMembershipOperationPermission: membership changes are admin only. */
  const admin = (md: RequestMetadata, call: CertCall): void | Promise<void> => requireAdmin(m, md, call, () => undefined, log);
  return {
    MemberList: unary('MemberList', log, (w, md, call) => {
      const barrier = m.readBarrier(w.linearizable !== true);
      // etcd 3.6: MemberList needs a user when auth is enabled (after the read barrier).
      const answer = (): object | Promise<object> => requireUser(m, md, call, list, log);
      return barrier === undefined ? answer() : barrier.then(answer);
    }),
    MemberAdd: unary('MemberAdd', log, async (w, md, call) => {
      await admin(md, call);
      const added = await m.reconfig.add(w.peerURLs as string[], w.isLearner === true);
      return { header: m.header(0), member: memberToWire(added), members: members() };
    }),
    MemberRemove: unary('MemberRemove', log, async (w, md, call) => {
      await admin(md, call);
      await m.reconfig.remove(ids(w));
      return list();
    }),
    MemberUpdate: unary('MemberUpdate', log, async (w, md, call) => {
      await admin(md, call);
      await m.reconfig.update(ids(w), w.peerURLs as string[]);
      return list();
    }),
    MemberPromote: unary('MemberPromote', log, async (w, md, call) => {
      await admin(md, call);
      await m.reconfig.promote(ids(w));
      return list();
    }),
  };
}
