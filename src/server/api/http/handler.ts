/**
 * etcd's HTTP endpoints on the client port: /health, /livez, /readyz,
 * /version, /metrics, and the JSON gateway (/v3/..., gateway.ts). Other paths answer 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ETCD_CLUSTER_VERSION, ETCD_VERSION } from '../../../version';
import type { MemberApi } from '../../engine/member-api';
import type { Metrics } from './metrics';
import type { Gateway } from './gateway';

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

async function healthy(m: MemberApi, serializable: boolean): Promise<string | undefined> {
  if (!serializable && m.raft.lead === 0n) return 'RAFT NO LEADER';
  try {
    const barrier = m.readBarrier(serializable);
    if (barrier) await barrier;
    m.mvcc.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), limit: 1, keys_only: true });
    return undefined;
  } catch (e) {
    return `RANGE ERROR:${(e as Error).message}`;
  }
}

export function httpHandler(m: MemberApi, metrics: Metrics, gateway?: Gateway): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (gateway?.handles(path)) return gateway.serve(req, res, path);
    if (path === '/metrics') {
      void metrics.text().then(
        (t) => send(res, 200, t.type, t.body),
        (e: Error) => send(res, 500, 'text/plain', e.message),
      );
      return;
    }
    if (path === '/version') {
      send(res, 200, 'application/json', JSON.stringify({ etcdserver: ETCD_VERSION, etcdcluster: ETCD_CLUSTER_VERSION, storage: '3.6.0' }));
      return;
    }
    if (path === '/health') {
      if (req.method !== 'GET') {
        send(res, 405, 'text/plain', 'Method Not Allowed');
        return;
      }
      const serializable = url.searchParams.get('serializable') === 'true';
      void healthy(m, serializable).then((reason) => {
        if (reason === undefined) send(res, 200, 'application/json', JSON.stringify({ health: 'true', reason: '' }));
        else send(res, 503, 'application/json', JSON.stringify({ health: 'false', reason }));
      });
      return;
    }
    if (path === '/livez' || path === '/readyz') {
      const linearizable = path === '/readyz';
      void healthy(m, !linearizable).then((reason) => {
        const check = linearizable ? 'linearizable_read' : 'serializable_read';
        if (reason === undefined) send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        else send(res, 503, 'text/plain; charset=utf-8', `[-]${check} failed: ${reason}\n`);
      });
      return;
    }
    send(res, 404, 'text/plain', '404 page not found\n');
  };
}

/** The paths etcd serves on --listen-metrics-urls (its metrics mux: metrics and health). */
const METRICS_PATHS = new Set(['/metrics', '/health', '/livez', '/readyz']);

/** The client handler limited to the metrics URLs' paths; anything else is a 404. */
export function metricsOnlyHandler(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (METRICS_PATHS.has(path)) handler(req, res);
    else send(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  };
}
