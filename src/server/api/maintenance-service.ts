/**
 * etcdserverpb.Maintenance: Status, Alarm, HashKV, Defragment and MoveLeader are served; Hash,
 * Snapshot and Downgrade answer UNIMPLEMENTED until built.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { ClassicLevel } from 'classic-level';
import { EtcdError } from '../../errors';
import { ETCD_VERSION } from '../../version';
import { effectiveQuotaBackendBytes } from '../config/config';
import type { EtcdMember } from '../engine/member';
import type { DiskUsage } from '../engine/storage/disk-usage';
import { unary } from './unary';
import { wireMessage } from '../wire/error-table';
import { alarmTypeOf } from '../engine/alarm/alarm-store';

export function maintenanceService(m: EtcdMember, disk: DiskUsage, log: Logger): UntypedServiceImplementation {
  return {
    Status: unary('Status', log, () => {
      const dbSize = Math.max(disk.bytes(), 1);
      const lead = m.loop.lead;
      const errors: string[] = [];
      if (lead === 0n) errors.push(wireMessage('NoLeader'));
      // etcd lists each alarm in its protobuf text form.
      for (const a of m.alarms.get()) errors.push(`memberID:${a.memberID} alarm:${a.alarm} `);
      return {
        header: m.header(),
        version: ETCD_VERSION,
        dbSize,
        leader: lead.toString(),
        raftIndex: m.loop.commitIndex,
        raftTerm: m.loop.term,
        raftAppliedIndex: m.loop.appliedIndex,
        errors,
        dbSizeInUse: Math.min(m.engine.sizeBytes, dbSize),
        isLearner: m.membership.get(m.memberId)?.isLearner ?? false,
        storageVersion: '3.6.0',
        dbSizeQuota: effectiveQuotaBackendBytes(m.config),
        downgradeInfo: { enabled: false, targetVersion: '' },
      };
    }),
    // Every action goes through Raft, GET included, as in etcd.
    Alarm: unary('Alarm', log, async (w) => {
      const action = String(w.action);
      // etcd 3.6 crashes on an unknown action, and an unknown alarm type raised would stick: refused.
      if (action !== 'GET' && action !== 'ACTIVATE' && action !== 'DEACTIVATE')
        throw new EtcdError('Unimplemented', `unknown alarm action ${action}`);
      if (action === 'ACTIVATE' && w.alarm !== 'NONE' && alarmTypeOf(w.alarm) === undefined)
        throw new EtcdError('Unimplemented', `unknown alarm type ${String(w.alarm)}`);
      const r = await m.alarm({ action, memberID: String(w.memberID ?? '0'), alarm: String(w.alarm) });
      return { header: m.header(), alarms: r.alarms.map((a) => ({ memberID: a.memberID.toString(), alarm: a.alarm })) };
    }),
    MoveLeader: unary('MoveLeader', log, async (w) => {
      const target = BigInt(w.targetID as string);
      if (!m.loop.isLeader) throw new EtcdError('NotLeader');
      const t = m.membership.get(target);
      if (t === undefined || t.isLearner) throw new EtcdError('BadLeaderTransferee');
      if (target !== m.memberId) {
        m.loop.transferLeader(target);
        const deadline = performance.now() + 5000 + 2 * m.config.electionMs;
        while (m.loop.lead !== target) {
          if (performance.now() > deadline) throw new EtcdError('Timeout', 'leader transfer took too long');
          await new Promise((r) => setTimeout(r, m.config.heartbeatMs));
        }
      }
      return { header: m.header() };
    }),
    HashKV: unary('HashKV', log, (w) => {
      const h = m.mvcc.hashKV(Number(w.revision));
      return { header: m.header(), hash: h.hash, compact_revision: h.compactRevision, hash_revision: h.hashRevision };
    }),
    Defragment: unary('Defragment', log, async () => {
      if (m.loop.appliedIndex < 0) throw new EtcdError('Stopped');
      await (m.db as unknown as ClassicLevel<string, Buffer>).compactRange('\u0000', '\uffff');
      disk.invalidate();
      return { header: m.header() };
    }),
  };
}
