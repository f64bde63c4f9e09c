/**
 * etcdserverpb.Auth while authentication is not built: Authenticate answers etcd's
 * "authentication is not enabled" (clientv3 then proceeds without a token, so `--user` clients
 * work) and AuthStatus reports auth disabled. Every other Auth RPC answers UNIMPLEMENTED.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { EtcdError } from '../../errors';
import type { MemberApi } from '../engine/member-api';
import { unary } from './unary';

export function authService(m: MemberApi, log: Logger): UntypedServiceImplementation {
  return {
    Authenticate: unary('Authenticate', log, () => {
      throw new EtcdError('AuthNotEnabled');
    }),
    AuthStatus: unary('AuthStatus', log, () => ({ header: m.header(), enabled: false, authRevision: 1 })),
  };
}
