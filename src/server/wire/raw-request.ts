/**
 * Service definitions whose request decoders keep the request's own bytes next to the decoded
 * object, so a write can go into the Raft log without being encoded again.
 */
import type { ServiceDefinition, MethodDefinition } from '@grpc/grpc-js';
import { serviceDefinition } from './protos';

export const RAW = Symbol('raw request bytes');
/** Set on a request whose nesting exceeds the decoder's depth limit (1024 levels). */
export const TOO_DEEP = Symbol('request nested too deeply');

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
        let o: WithRaw;
        try {
          o = decode(buf) as WithRaw;
        } catch (e) {
          // A Txn nested deeper than the decoder allows holds more ops than any sane
          // --max-txn-ops: let the handler answer etcd's "too many operations".
          if (!/depth/.test((e as Error).message)) throw e;
          return { [TOO_DEEP]: true } as unknown as WithRaw;
        }
        o[RAW] = buf;
        return o;
      },
    };
  }
  return out as ServiceDefinition;
}
