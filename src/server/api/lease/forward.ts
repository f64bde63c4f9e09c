/**
 * Forwarding of the leader-only lease requests from a follower (etcd forwards them to the leader
 * over peer HTTP, `lease/leasehttp`). Here the follower calls the leader's own Lease service on
 * one of its advertised client URLs: renewals share one long-lived LeaseKeepAlive stream per
 * leader URL (answers matched by lease id, in order), TimeToLive is a unary call. An
 * unreachable leader, or none known: NoLeader (Unavailable), which clientv3 retries.
 */
import * as grpc from '@grpc/grpc-js';
import type { TlsInfo } from '../../config/tls';
import { selfDialCredentials, selfDialTarget } from '../../tls/self-dial';
import { EtcdError } from '../../../errors';
import type { LeaseId } from '../../../lease';
import { serviceDefinition } from '../../wire/protos';
import { int64 } from '../../wire/lease-codec';

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
  private readonly channels = new Map<string, KeepAliveChannel>();

  /** `leaderUrls`: the current leader's client URLs (empty when there is no leader). */
  /** `tls`: the client TLS files, to dial an https leader URL as this member. */
  constructor(
    leaderUrls: () => readonly string[],
    timeoutMs = 5000,
    private readonly tls?: TlsInfo,
  ) {
    this.leaderUrls = leaderUrls;
    this.timeoutMs = timeoutMs;
  }

  /** Renews on the leader; returns the TTL (0 when the leader does not know the lease). */
  renew(id: LeaseId): Promise<number> {
    return this.first((c, url) => this.channel(c, url).renew(id));
  }

  /** TimeToLive on the leader; undefined when the leader does not know the lease. */
  timeToLive(id: LeaseId, keys: boolean): Promise<ForwardedTimeToLive | undefined> {
    return this.first(
      (c) =>
        new Promise((resolve, reject) => {
          c.LeaseTimeToLive({ ID: id.toString(), keys }, new grpc.Metadata(), { deadline: Date.now() + this.timeoutMs }, (e, r) => {
            if (e) return reject(e);
            const ttl = Number(int64(r.TTL));
            resolve(
              ttl === -1 ? undefined : { ttl, grantedTtl: Number(int64(r.grantedTTL)), keys: (r.keys as Buffer[] | undefined) ?? [] },
            );
          });
        }),
    );
  }

  close(): void {
    for (const ch of this.channels.values()) ch.close();
    this.channels.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private channel(c: LeaseClient, url: string): KeepAliveChannel {
    let ch = this.channels.get(url);
    if (ch === undefined || ch.broken) {
      ch = new KeepAliveChannel(c, this.timeoutMs);
      this.channels.set(url, ch);
    }
    return ch;
  }

  private async first<T>(fn: (c: LeaseClient, url: string) => Promise<T>): Promise<T> {
    const urls = this.leaderUrls();
    let last: unknown = new EtcdError('NoLeader', 'no leader client URL known');
    for (const u of urls) {
      try {
        return await fn(this.client(u), u);
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
      const target = selfDialTarget(url);
      const Ctor = grpc.makeGenericClientConstructor(serviceDefinition('etcdserverpb.Lease'), 'etcdserverpb.Lease');
      c = new Ctor(target, selfDialCredentials(url, this.tls)) as unknown as LeaseClient;
      this.clients.set(url, c);
    }
    return c;
  }
}

/**
 * One LeaseKeepAlive stream to the leader carrying every forwarded renewal. The leader answers
 * each request with `{ID, TTL}`; answers for one id come back in order, so each id keeps a FIFO
 * of waiters. A failed stream fails its waiters and is replaced on the next renewal.
 */
class KeepAliveChannel {
  broken = false;
  private readonly stream: grpc.ClientDuplexStream<Wire, Wire>;
  private readonly waiting = new Map<string, { resolve: (ttl: number) => void; reject: (e: unknown) => void; timer: NodeJS.Timeout }[]>();

  constructor(
    c: LeaseClient,
    private readonly timeoutMs: number,
  ) {
    this.stream = c.LeaseKeepAlive({});
    this.stream.on('data', (r: Wire) => {
      const key = String(int64(r.ID));
      const q = this.waiting.get(key);
      const w = q?.shift();
      if (q !== undefined && q.length === 0) this.waiting.delete(key);
      if (w === undefined) return;
      clearTimeout(w.timer);
      w.resolve(Number(int64(r.TTL)));
    });
    const fail = (e: unknown): void => {
      this.broken = true;
      for (const q of this.waiting.values()) {
        for (const w of q) {
          clearTimeout(w.timer);
          w.reject(e);
        }
      }
      this.waiting.clear();
    };
    this.stream.on('error', fail);
    this.stream.on('end', () => fail(new EtcdError('NoLeader', 'keepalive stream to the leader ended')));
  }

  renew(id: LeaseId): Promise<number> {
    if (this.broken) return Promise.reject(new EtcdError('NoLeader', 'keepalive stream to the leader failed'));
    const key = id.toString();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.broken = true;
        this.stream.cancel();
        reject(new EtcdError('NoLeader', 'no keepalive answer from the leader in time'));
      }, this.timeoutMs);
      timer.unref?.();
      let q = this.waiting.get(key);
      if (q === undefined) this.waiting.set(key, (q = []));
      q.push({ resolve, reject, timer });
      this.stream.write({ ID: key });
    });
  }

  close(): void {
    this.broken = true;
    this.stream.cancel();
  }
}
