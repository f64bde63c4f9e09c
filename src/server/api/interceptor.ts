/**
 * Per-request checks that etcd's gRPC interceptors apply to every unary call and every stream
 * (etcd `v3rpc/interceptor.go`): a learner serves only Status and serializable Range; metadata
 * `hasleader: true` is refused when there is no leader; a member that failed serves nothing. Applied once, at registration. Unary
 * answers are also reported to the member's AnswersInFlight: the watch fan-out waits for them
 * to leave.
 */
import type { ServiceDefinition, UntypedServiceImplementation, Metadata } from '@grpc/grpc-js';
import { EtcdError } from '../../errors';
import type { MemberApi } from '../engine/member-api';
import { toServiceError } from '../wire/error-table';
import type { MethodCounters } from './grpc-metrics';

type UnaryCallback = (e: unknown, value?: unknown, ...rest: unknown[]) => void;
type Call = {
  request?: Record<string, unknown>;
  metadata: Metadata;
  /** A request header without building the metadata (unary-call.ts's calls have it). */
  header?(name: string): string | undefined;
  emit(event: 'error', e: unknown): boolean;
  on(event: string, f: (e?: unknown) => void): unknown;
};

/** The status code a handler's error carries (UNKNOWN when it carries none). */
function codeOf(e: unknown): number {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : 2;
}

const NOT_COUNTED: MethodCounters = { started: () => undefined, handled: () => undefined };

/** Counts a stream's end once: its status, OK when it finished, CANCELLED when the client left. */
function countStream(call: Call, c: MethodCounters): void {
  let done = false;
  const finish = (code: number): void => {
    if (done) return;
    done = true;
    c.handled(code);
  };
  call.on('error', (e) => finish(codeOf(e)));
  call.on('finish', () => finish(0));
  call.on('cancelled', () => finish(1));
}

function check(m: MemberApi, method: string, call: Call, streaming: boolean): EtcdError | undefined {
  // A member whose storage or apply failed serves nothing, not even local reads, while it exits.
  if (m.raft.failure !== undefined) return new EtcdError('Stopped');
  if (m.isLearner) {
    const ok = method === 'Status' || (method === 'Range' && call.request?.serializable === true);
    if (!ok) return new EtcdError('NotSupportedForLearner');
  }
  const hasLeader = call.header !== undefined ? call.header('hasleader') : call.metadata.get('hasleader')[0];
  if (hasLeader !== undefined && String(hasLeader) === 'true' && m.raft.lead === 0n) return new EtcdError('NoLeader');
  void streaming;
  return undefined;
}

export function intercept(
  def: ServiceDefinition,
  impl: UntypedServiceImplementation,
  m: MemberApi,
  counters: Map<string, MethodCounters> = new Map(),
): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(impl)) {
    const md = def[name];
    if (md === undefined) {
      out[name] = handler;
      continue;
    }
    const h = handler as (...args: unknown[]) => void;
    const c = counters.get(name) ?? NOT_COUNTED;
    if (!md.requestStream && !md.responseStream) {
      out[name] = ((call: Call, cb: UnaryCallback) => {
        c.started();
        const err = check(m, name, call, false);
        if (err) {
          const se = toServiceError(err);
          c.handled(codeOf(se));
          cb(se);
          return;
        }
        h(call, (e: unknown, value?: unknown, ...rest: unknown[]) => {
          m.answers.answering(call);
          c.handled(e ? codeOf(e) : 0);
          cb(e, value, ...rest);
        });
      }) as never;
    } else if (md.requestStream && !md.responseStream) {
      out[name] = ((call: Call, cb: (e: unknown) => void) => {
        c.started();
        const err = check(m, name, call, true);
        const done = (e: unknown, ...rest: unknown[]): void => {
          c.handled(e ? codeOf(e) : 0);
          (cb as (...a: unknown[]) => void)(e, ...rest);
        };
        if (err) done(toServiceError(err));
        else h(call, done);
      }) as never;
    } else {
      out[name] = ((call: Call) => {
        c.started();
        countStream(call, c);
        const err = check(m, name, call, true);
        if (err) call.emit('error', toServiceError(err));
        else h(call);
      }) as never;
    }
  }
  return out;
}
