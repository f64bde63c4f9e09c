import type { RunningMember } from '../helpers/running-member';
import { startRealEtcd } from '../helpers/real-etcd';

/** A server the compatibility tests run against. Each start() gives a fresh, empty store. */
export interface Target {
  label: string;
  start(): Promise<RunningMember>;
}

export const realEtcd: Target = {
  label: 'real etcd 3.6',
  start: () => startRealEtcd(),
};

export const etcdTs: Target = {
  label: 'etcd-ts',
  start: async () => {
    // Loaded at run time (not imported) so that the real-etcd halves of these tests still compile
    // and run while the server is being written. If it is missing or fails to start, the etcd-ts
    // tests fail (their before() hook throws): they never pass silently.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../helpers/member') as {
      startMember?: (overrides?: Record<string, unknown>) => Promise<RunningMember>;
    };
    if (typeof mod.startMember !== 'function') {
      throw new Error('test/helpers/member.ts does not export startMember()');
    }
    return mod.startMember();
  },
};

/** Both targets; ETCD_TS_COMPAT_TARGETS=real or =etcd-ts limits the run to one of them. */
export function targets(): Target[] {
  const only = process.env['ETCD_TS_COMPAT_TARGETS'];
  if (only === 'real') return [realEtcd];
  if (only === 'etcd-ts') return [etcdTs];
  return [realEtcd, etcdTs];
}
