/**
 * Maintenance.Downgrade as etcd 3.6 answers it (`etcdserver/v3_server.go` downgradeValidate /
 * Enable / Cancel, `cluster_util.go` convertToClusterVersion): the target is a semantic version,
 * or major.minor; only the minor version below the cluster's (3.5 for a 3.6 cluster) is valid;
 * VALIDATE and ENABLE refuse while a job is enabled; ENABLE and CANCEL go through Raft; CANCEL
 * with no job answers success (etcd logs the refusal and answers the cluster version anyway).
 * Admin only with auth enabled. Every answer carries the cluster version, "3.6".
 */
import type { Logger } from 'pino';
import { EtcdError } from '../../errors';
import type { MemberApi } from '../engine/member-api';
import { RequestKind } from '../wire/request-codec';
import { unary } from './unary';
import { requireAdmin } from './auth/credentials';

const CLUSTER_VERSION = { major: 3, minor: 6 };
const SEMVER = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** etcd's convertToClusterVersion: major.minor of a semantic version (".0" appended if needed). */
function targetOf(v: string): { major: number; minor: number } {
  const m = SEMVER.exec(v) ?? SEMVER.exec(`${v}.0`);
  if (m === null) throw new EtcdError('WrongDowngradeVersionFormat');
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function downgradeHandler(m: MemberApi, log: Logger): ReturnType<typeof unary> {
  const answer = (): object => ({ header: m.header(), version: `${CLUSTER_VERSION.major}.${CLUSTER_VERSION.minor}` });
  const validate = (v: string): { major: number; minor: number } => {
    const t = targetOf(v);
    if (m.downgradeInfo.enabled) throw new EtcdError('DowngradeInProcess');
    if (t.major !== CLUSTER_VERSION.major || t.minor !== CLUSTER_VERSION.minor - 1) throw new EtcdError('InvalidDowngradeTargetVersion');
    return t;
  };
  return unary('Downgrade', log, (w, md, call) =>
    requireAdmin(
      m,
      md,
      call,
      async () => {
        const action = String(w.action);
        if (action === 'VALIDATE') {
          validate(String(w.version ?? ''));
          return answer();
        }
        if (action === 'ENABLE') {
          let t: { major: number; minor: number };
          try {
            t = validate(String(w.version ?? ''));
          } catch (e) {
            log.warn({ error: (e as Error).message }, 'reject downgrade request');
            throw e;
          }
          const info = { enabled: true, targetVersion: `${t.major}.${t.minor}.0` };
          await m.propose(RequestKind.Downgrade, Buffer.from(JSON.stringify(info), 'utf8'));
          return answer();
        }
        if (action === 'CANCEL') {
          if (m.downgradeInfo.enabled)
            await m.propose(RequestKind.Downgrade, Buffer.from(JSON.stringify({ enabled: false, targetVersion: '' }), 'utf8'));
          else log.warn({ error: 'etcdserver: no inflight downgrade job' }, 'failed to cancel downgrade');
          return answer();
        }
        throw new EtcdError('UnknownMethod', `downgrade action ${action}`);
      },
      log,
    ),
  );
}
