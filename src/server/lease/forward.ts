/**
 * Forwarding of the leader-only lease requests from a follower (etcd forwards them to the leader
 * over peer HTTP, `lease/leasehttp`). Here the follower calls the leader's own Lease service on
 * one of its advertised client URLs: a one-shot LeaseKeepAlive stream for a renewal, a unary
 * LeaseTimeToLive. Unreachable leader, or none known: NoLeader (Unavailable), which clientv3
 * retries.
 */
import * as grpc from '@grpc/grpc-js';
import { EtcdError } from '../../errors';
import type { LeaseId } from '../../lease';
import { serviceDefinition } from '../grpc/protos';
import { int64 } from './codec';

type Wire = Record<string, unknown>;

interface LeaseClient extends grpc.Client {
  LeaseKeepAlive(opts: grpc.CallOptions): grpc.ClientDuplexStream<Wire, Wire>;
  LeaseTimeToLive(req: Wire, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Wire) => void): void;
}

export interface ForwardedTimeToLive {
  ttl: number;
  grantedTtl: number;
  keys: Buffer[];
}

export class LeaderForwarder {
  private readonly leaderUrls: () => readonly string[];
  private readonly timeoutMs: number;
  private readonly clients = new Map<string, LeaseClient>();

  /** `leaderUrls`: the current leader's client URLs (empty when there is no leader). */
  constructor(leaderUrls: () => readonly string[], timeoutMs = 5000) {
    this.leaderUrls = leaderUrls;
    this.timeoutMs = timeoutMs;
  }

  /** Renews on the leader; returns the TTL (0 when the leader does not know the lease). */
  renew(id: LeaseId): Promise<number> {
    return this.first((c) => this.keepAliveOnce(c, id));
  }

  /** TimeToLive on the leader; undefined when the leader does not know the lease. */
  timeToLive(id: LeaseId, keys: boolean): Promise<ForwardedTimeToLive | undefined> {
    return this.first(
      (c) =>
        new Promise((resolve, reject) => {
          c.LeaseTimeToLive({ ID: id.toString(), keys }, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (e, r) => {
            if (e) return reject(e);
            const ttl = Number(int64(r.TTL));
            resolve(ttl === -1 ? undefined : { ttl, grantedTtl: Number(int64(r.grantedTTL)), keys: (r.keys as Buffer[] | undefined) ?? [] });
          });
        }),
    );
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private async first<T>(fn: (c: LeaseClient) => Promise<T>): Promise<T> {
    const urls = this.leaderUrls();
    let last: unknown = new EtcdError('NoLeader', 'no leader client URL known');
    for (const u of urls) {
      try {
        return await fn(this.client(u));
      } catch (e) {
        last = e;
      }
    }
    // Errors the leader itself returned (e.g. not a primary lessor) pass through; transport
    // failures become NoLeader.
    if (last instanceof EtcdError) throw last;
    const code = (last as grpc.ServiceError | undefined)?.code;
    if (code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === undefined) {
      throw new EtcdError('NoLeader', (last as Error | undefined)?.message);
    }
    throw last;
  }

  private client(url: string): LeaseClient {
    let c = this.clients.get(url);
    if (c === undefined) {
      const target = url.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition('etcdserverpb.Lease'), 'etcdserverpb.Lease');
      c = new Ctor(target, grpc.credentials.createInsecure()) as unknown as LeaseClient;
      this.clients.set(url, c);
    }
    return c;
  }

  private keepAliveOnce(c: LeaseClient, id: LeaseId): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = c.LeaseKeepAlive({ deadline: Date.now() + this.timeoutMs });
      let done = false;
      s.on('data', (r: Wire) => {
        if (done) return;
        done = true;
        resolve(Number(int64(r.TTL)));
        s.end();
      });
      s.on('error', (e) => {
        if (!done) {
          done = true;
          reject(e);
        }
      });
      s.on('end', () => {
        if (!done) {
          done = true;
          reject(new EtcdError('NoLeader', 'keepalive stream ended without a response'));
        }
      });
      s.write({ ID: id.toString() });
    });
  }
}
