/**
 * grpc.health.v1.Health on the client port, as etcd registers it (grpc-go's health server, the
 * whole server "" SERVING once the member serves; unknown service names NOT_FOUND): the
 * grpc-health-check package's implementation, taken through its public addToServer.
 */
import { status, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation, service } from 'grpc-health-check';
import type { Logger } from 'pino';

type UnaryCallback = (e: { code?: number; details?: string } | null, ...rest: unknown[]) => void;

export const healthDefinition = service as ServiceDefinition;

export function healthService(log: Logger): UntypedServiceImplementation {
  const health = new HealthImplementation({ '': 'SERVING' });
  let impl: UntypedServiceImplementation | undefined;
  health.addToServer({
    addService: (_def: unknown, i: UntypedServiceImplementation) => {
      impl = i;
    },
  } as never);
  if (impl === undefined) throw new Error('grpc-health-check did not register its service');
  log.info({ service: '', status: 'SERVING' }, 'grpc service status changed');
  // Keyed by the definition's method names (the package registers lower-case aliases).
  const out: UntypedServiceImplementation = {};
  for (const name of Object.keys(healthDefinition)) {
    const handler = impl[name] ?? impl[name[0]!.toLowerCase() + name.slice(1)];
    if (handler !== undefined) out[name] = handler;
  }
  // grpc-go's text for a service with no status (the package words it differently).
  const check = out['Check'] as ((call: unknown, cb: UnaryCallback) => void) | undefined;
  if (check !== undefined) {
    out['Check'] = ((call: unknown, cb: UnaryCallback) =>
      check(call, (e, ...rest) =>
        cb(e?.code === status.NOT_FOUND ? { code: status.NOT_FOUND, details: 'unknown service' } : e, ...rest),
      )) as never;
  }
  return out;
}
