/**
 * etcdserverpb.Maintenance: Status, Alarm, HashKV, Defragment, MoveLeader and Snapshot
 * (snapshot-stream.ts), Hash and Downgrade (downgrade.ts) are served.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../../errors';
import { ETCD_VERSION } from '../../version';
import { effectiveQuotaBackendBytes } from '../config/config';
import type { MemberApi } from '../engine/member-api';
import type { DiskUsage } from '../engine/storage/disk-usage';
import { unary } from './unary';
import { snapshotHandler } from './snapshot-stream';
import { downgradeHandler } from './downgrade';
import { requireAdmin, requireUser } from './auth/credentials';
import { wireMessage } from '../wire/error-table';
import { alarmTypeOf } from '../wire/alarm-type';

export function maintenanceService(m: MemberApi, disk: DiskUsage, log: Logger): UntypedServiceImplementation {
  const status = (): object => {
    const dbSize = Math.max(disk.bytes(), 1);
    const lead = m.raft.lead;
    const errors: string[] = [];
    if (lead === 0n) errors.push(wireMessage('NoLeader'));
    // etcd lists each alarm in its protobuf text form.
    for (const a of m.alarms.get()) errors.push(`memberID:${a.memberID} alarm:${a.alarm} `);
    return {
      header: m.header(),
      version: ETCD_VERSION,
      dbSize,
      leader: lead.toString(),
      raftIndex: m.raft.commitIndex,
      raftTerm: m.raft.term,
      raftAppliedIndex: m.raft.appliedIndex,
      errors,
      dbSizeInUse: Math.min(m.storeBytes, dbSize),
      isLearner: m.membership.get(m.memberId)?.isLearner ?? false,
      storageVersion: '3.6.0',
      dbSizeQuota: effectiveQuotaBackendBytes(m.config),
      downgradeInfo: m.downgradeInfo,
    };
  };
  return {
    // etcd's authMaintenanceServer.Status: a user must be named when auth is enabled.
    Status: unary('Status', log, (_w, md, call) => requireUser(m, md, call, status, log)),
    // Every action goes through Raft, GET included, as in etcd.
    Alarm: unary('Alarm', log, async (w, md, call) => {
      const action = String(w.action);
      // etcd's authMaintenanceServer: GET needs a user, the other actions an admin.
      await (action === 'GET' ? requireUser : requireAdmin)(m, md, call, () => undefined, log);
      // etcd 3.6 crashes on an unknown action, and an unknown alarm type raised would stick: refused.
      if (action !== 'GET' && action !== 'ACTIVATE' && action !== 'DEACTIVATE')
        throw new EtcdError('Unimplemented', `unknown alarm action ${action}`);
      if (action === 'ACTIVATE' && w.alarm !== 'NONE' && alarmTypeOf(w.alarm) === undefined)
        throw new EtcdError('Unimplemented', `unknown alarm type ${String(w.alarm)}`);
      const r = await m.alarm({ action, memberID: String(w.memberID ?? '0'), alarm: String(w.alarm) });
      return { header: m.header(), alarms: r.alarms.map((a) => ({ memberID: a.memberID.toString(), alarm: a.alarm })) };
    }),
    MoveLeader: unary('MoveLeader', log, async (w, md, call) => {
      await requireAdmin(m, md, call, () => undefined, log);
      await m.moveLeader(BigInt(w.targetID as string));
      return { header: m.header() };
    }),
    HashKV: unary('HashKV', log, (w, md, call) =>
      requireAdmin(
        m,
        md,
        call,
        () => {
          const h = m.mvcc.hashKV(Number(w.revision));
          return { header: m.header(), hash: h.hash, compact_revision: h.compactRevision, hash_revision: h.hashRevision };
        },
        log,
      ),
    ),
    Snapshot: snapshotHandler(m, log),
    Downgrade: downgradeHandler(m, log),
    // etcd's Hash: admin only; the hash of the whole backend except the per-member meta keys.
    Hash: unary('Hash', log, (_w, md, call) =>
      requireAdmin(m, md, call, async () => ({ header: m.header(), hash: await m.backendHash() }), log),
    ),
    Defragment: unary('Defragment', log, async (_w, md, call) => {
      await requireAdmin(m, md, call, () => undefined, log);
      await m.defragment();
      disk.invalidate();
      return { header: m.header() };
    }),
  };
}
