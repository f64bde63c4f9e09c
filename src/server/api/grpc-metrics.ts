/**
 * go-grpc-prometheus's server counters, as etcd exports them: grpc_server_started_total and
 * grpc_server_handled_total (by type, service, method and status code), every series of etcd's
 * own services initialised at 0 as etcd's InitializeMetrics does.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';
import { GO_CODE_NAMES } from '../wire/error-table';

/** grpc-go's code names, by code number. */
const CODES = GO_CODE_NAMES;

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

export function grpcType(md: { requestStream: boolean; responseStream: boolean }): GrpcType {
  if (md.requestStream) return md.responseStream ? 'bidi_stream' : 'client_stream';
  return md.responseStream ? 'server_stream' : 'unary';
}

/** One method's counters: plain numbers on the call path, handed to prom-client when scraped. */
export interface MethodCounters {
  started(): void;
  handled(code: number): void;
}

interface Series {
  labels: { grpc_type: GrpcType; grpc_service: string; grpc_method: string };
  /** Shown even at 0 (etcd's InitializeMetrics). */
  initialized: boolean;
  started: number;
  startedShown: number;
  handled: number[];
  handledShown: number[];
}

export class GrpcMetrics {
  private readonly all: Series[] = [];

  constructor(registry: Registry) {
    const all = this.all;
    new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      registers: [registry],
      collect() {
        for (const s of all) {
          if (s.started === s.startedShown && (s.started > 0 || !s.initialized)) continue;
          this.inc(s.labels, s.started - s.startedShown);
          s.startedShown = s.started;
        }
      },
    });
    new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
      registers: [registry],
      collect() {
        for (const s of all) {
          for (let code = 0; code < CODES.length; code++) {
            const n = s.handled[code]!;
            const shown = s.handledShown[code]!;
            if (n === shown && (n > 0 || !s.initialized)) continue;
            this.inc({ ...s.labels, grpc_code: CODES[code]! }, n - shown);
            s.handledShown[code] = n;
          }
        }
      },
    });
  }

  /** The counters of each method of a service; with `initialize`, every series shows from 0. */
  service(def: ServiceDefinition, initialize: boolean): Map<string, MethodCounters> {
    const out = new Map<string, MethodCounters>();
    for (const [name, md] of Object.entries(def)) {
      const path = md.path.slice(1);
      const s: Series = {
        labels: { grpc_type: grpcType(md), grpc_service: path.slice(0, path.indexOf('/')), grpc_method: name },
        initialized: initialize,
        started: 0,
        startedShown: 0,
        handled: CODES.map(() => 0),
        handledShown: CODES.map(() => 0),
      };
      this.all.push(s);
      out.set(name, {
        started: () => void s.started++,
        handled: (code) => void s.handled[code >= 0 && code < CODES.length ? code : 2]!++,
      });
    }
    return out;
  }
}
