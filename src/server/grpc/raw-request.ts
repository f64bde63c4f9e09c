/**
 * Service definitions whose request decoders keep the request's own bytes next to the decoded
 * object, so a write can go into the Raft log without being encoded again.
 */
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import { serviceDefinition } from './protos';

export const RAW = Symbol('raw request bytes');

export type WithRaw = Record<string, unknown> & { [RAW]: Buffer };

/** A copy of `service`'s definition where the named methods' decoded requests carry [RAW]. */
export function withRawRequests(service: string, methods: readonly string[]): ServiceDefinition {
  const def = serviceDefinition(service) as Record<string, MethodDefinition<object, object>>;
  const out: Record<string, MethodDefinition<object, object>> = {};
  for (const [name, m] of Object.entries(def)) {
    if (!methods.includes(name)) {
      out[name] = m;
      continue;
    }
    const decode = m.requestDeserialize;
    out[name] = {
      ...m,
      requestDeserialize: (buf: Buffer) => {
        const o = decode(buf) as WithRaw;
        o[RAW] = buf;
        return o;
      },
    };
  }
  return out as ServiceDefinition;
}
