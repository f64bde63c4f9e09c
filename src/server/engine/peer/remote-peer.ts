/**
 * The outgoing side towards one peer: one long-lived `Stream` call, a bounded message queue,
 * batching of everything queued in one event-loop turn into one MessageBatch write, HTTP/2
 * backpressure (wait for 'drain'), reconnection with exponential backoff over the peer's URLs.
 *
 * States: connecting (call opened, waiting for the receiver's StreamHello; messages queue),
 * active (queue flushed every turn), backoff (after a failure; messages are dropped and reported
 * unreachable, as etcd does when no stream is working), stopped.
 */
import { Client, status, type ChannelCredentials, type ClientDuplexStream, type ServiceError, type ChannelOptions } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Message } from '../../../raft/types';
import { peerMetadata, refusalKind } from './headers';
import { encodeBatch, type Identity } from './peer-codec';
import { messageSize } from './raft-codec';
import { PEER_SERVICE, PROBE_PATH, STREAM_PATH } from './peer-service';
import type { PeerStats } from './peer-stats';
import { grpcTarget } from './urls';

export type PeerState = 'connecting' | 'active' | 'backoff' | 'stopped';

export interface RemotePeerOptions {
  localId: bigint;
  clusterId: bigint;
  log: Logger;
  reportUnreachable(id: bigint): void;
  /** The receiver says this member was removed from the cluster. */
  onRemoved?(by: bigint): void;
  onStateChange?(id: bigint, state: PeerState): void;
  channelOptions: ChannelOptions;
  queueLimit: number;
  maxBatchBytes: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  helloTimeoutMs: number;
  stats: PeerStats;
  /** How often an active stream's peer is probed for the round-trip time (etcd reports every 30 s). */
  probeIntervalMs: number;
  /** Credentials to dial a URL (TLS for https; a new object when the files changed). */
  credentials(url: string): ChannelCredentials;
}

export interface RemotePeerStatus {
  id: bigint;
  state: PeerState;
  url: string;
  activeSince?: Date;
  queued: number;
  sentMessages: number;
  sentBatches: number;
  sentBytes: number;
  dropped: number;
  failures: number;
}

const streamDef = PEER_SERVICE.Stream!;
const probeDef = PEER_SERVICE.Probe!;

export class RemotePeer {
  private state: PeerState = 'connecting';

  private setState(st: PeerState): void {
    if (this.state === st) return;
    if (st === 'active' || this.state === 'active') this.o.stats.activeChanged(this.id, st === 'active');
    this.state = st;
    this.o.onStateChange?.(this.id, st);
  }
  private urls: string[];
  private urlIdx = 0;
  private client: Client | undefined;
  private clientUrl = '';
  private creds: ChannelCredentials | undefined;
  private call: ClientDuplexStream<Buffer, Identity> | undefined;
  private queue: Message[] = [];
  private flushScheduled = false;
  private blocked = false;
  private backoffMs: number;
  private timer: NodeJS.Timeout | undefined;
  private prober: NodeJS.Timeout | undefined;
  private activeSince: Date | undefined;
  private lastRefusal: string | undefined;
  private readonly counters = { sentMessages: 0, sentBatches: 0, sentBytes: 0, dropped: 0, failures: 0 };

  constructor(
    readonly id: bigint,
    urls: string[],
    private readonly o: RemotePeerOptions,
  ) {
    this.urls = urls.slice();
    this.backoffMs = o.backoffMinMs;
    this.connect();
  }

  status(): RemotePeerStatus {
    const s: RemotePeerStatus = { id: this.id, state: this.state, url: this.clientUrl, queued: this.queue.length, ...this.counters };
    if (this.activeSince !== undefined) s.activeSince = this.activeSince;
    return s;
  }

  /** The URL the stream uses now (or will try next). */
  preferredUrl(): string | undefined {
    return this.urls.length === 0 ? undefined : this.urls[this.urlIdx % this.urls.length];
  }

  get currentState(): PeerState {
    return this.state;
  }

  /** Queues messages; returns how many were dropped (queue full or no working stream). */
  enqueue(msgs: readonly Message[]): number {
    if (this.state === 'stopped' || this.state === 'backoff') {
      this.counters.dropped += msgs.length;
      this.o.stats.sendFailed(this.id, msgs.length);
      return msgs.length;
    }
    let dropped = 0;
    for (const m of msgs) {
      if (this.queue.length >= this.o.queueLimit) dropped++;
      else this.queue.push(m);
    }
    this.counters.dropped += dropped;
    if (dropped > 0) this.o.stats.sendFailed(this.id, dropped);
    if (dropped > 0)
      this.o.log.warn({ to: this.id.toString(), dropped, queued: this.queue.length }, 'dropped raft messages: peer send queue full');
    this.scheduleFlush();
    return dropped;
  }

  updateUrls(urls: string[]): void {
    const changed = urls.join(',') !== this.urls.join(',');
    this.urls = urls.slice();
    if (!changed || this.state === 'stopped') return;
    this.o.log.info({ peer: this.id.toString(), urls }, 'peer URLs updated');
    this.urlIdx = 0;
    // Reconnect at once to the new address.
    this.teardown();
    this.closeClient();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.connect();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    this.setState('stopped');
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.teardown();
    this.closeClient();
  }

  private closeClient(): void {
    this.client?.close();
    this.client = undefined;
  }

  private teardown(): void {
    if (this.prober !== undefined) clearInterval(this.prober);
    this.prober = undefined;
    const call = this.call;
    this.call = undefined;
    this.blocked = false;
    if (call !== undefined) {
      call.removeAllListeners();
      call.on('error', () => undefined);
      call.cancel();
    }
  }

  private connect(): void {
    if (this.state === 'stopped') return;
    this.timer = undefined;
    this.setState('connecting');
    if (this.urls.length === 0) return this.fail(new Error('peer has no URLs'));
    const url = this.urls[this.urlIdx % this.urls.length]!;
    const creds = this.o.credentials(url);
    if (this.client === undefined || url !== this.clientUrl || creds !== this.creds) {
      this.closeClient();
      let target: string;
      try {
        target = grpcTarget(url);
      } catch (err) {
        return this.fail(err as Error);
      }
      this.client = new Client(target, creds, this.o.channelOptions);
      this.clientUrl = url;
      this.creds = creds;
    }
    const md = peerMetadata(this.o.clusterId, this.o.localId, this.id);
    const call = this.client.makeBidiStreamRequest<Buffer, Identity>(
      STREAM_PATH,
      streamDef.requestSerialize,
      streamDef.responseDeserialize,
      md,
    );
    this.call = call;
    const hello = setTimeout(() => {
      if (this.call === call && this.state === 'connecting') this.fail(new Error(`no answer from peer within ${this.o.helloTimeoutMs} ms`));
    }, this.o.helloTimeoutMs);
    hello.unref();
    call.on('data', (h: Identity) => {
      if (this.call !== call || this.state !== 'connecting') return;
      clearTimeout(hello);
      if (h.memberId !== this.id) return this.fail(new Error(`peer at ${url} is member ${h.memberId}, expected ${this.id}`));
      this.setState('active');
      this.activeSince = new Date();
      this.backoffMs = this.o.backoffMinMs;
      this.lastRefusal = undefined;
      this.o.log.info({ peer: this.id.toString(), url }, 'peer stream established');
      this.scheduleFlush();
      this.probe();
      this.prober = setInterval(() => this.probe(), this.o.probeIntervalMs);
      this.prober.unref();
    });
    call.on('drain', () => {
      if (this.call !== call) return;
      this.blocked = false;
      this.scheduleFlush();
    });
    call.on('error', (err: ServiceError) => {
      clearTimeout(hello);
      if (this.call === call) this.fail(err);
    });
    call.on('end', () => {
      clearTimeout(hello);
      if (this.call === call) this.fail(Object.assign(new Error('peer closed the stream'), { code: status.UNAVAILABLE }));
    });
  }

  private fail(err: Error & { code?: number; details?: string }): void {
    if (this.state === 'stopped') return;
    const wasActive = this.state === 'active';
    this.teardown();
    this.counters.failures++;
    this.counters.dropped += this.queue.length;
    if (this.queue.length > 0) this.o.stats.sendFailed(this.id, this.queue.length);
    this.queue = [];
    this.activeSince = undefined;
    this.setState('backoff');
    const kind = refusalKind(err);
    const fields = { peer: this.id.toString(), url: this.clientUrl, error: err.details ?? err.message, retryInMs: this.backoffMs };
    if (kind !== undefined) {
      if (this.lastRefusal !== kind) this.o.log.error(fields, `peer refused our stream (${kind})`);
      this.lastRefusal = kind;
      if (kind === 'removed') this.o.onRemoved?.(this.id);
    } else if (wasActive) this.o.log.warn(fields, 'peer stream lost');
    else if (/certificate|ssl|tls|handshake/i.test(fields.error) && this.lastRefusal !== fields.error) {
      // A TLS refusal (untrusted or refused certificate) is logged once per distinct error.
      this.lastRefusal = fields.error;
      this.o.log.warn(fields, 'peer stream connect failed');
    } else this.o.log.debug(fields, 'peer stream connect failed');
    this.o.reportUnreachable(this.id);
    this.urlIdx++;
    this.timer = setTimeout(() => this.connect(), this.backoffMs);
    this.timer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, this.o.backoffMaxMs);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queue.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const call = this.call;
    if (this.state !== 'active' || call === undefined) return;
    while (!this.blocked && this.queue.length > 0) {
      const sizes: number[] = [];
      let bytes = 0;
      let n = 0;
      const q = this.queue;
      while (n < q.length) {
        const s = messageSize(q[n]!);
        if (n > 0 && bytes + s > this.o.maxBatchBytes) break;
        sizes.push(s);
        bytes += s + 6;
        n++;
      }
      const batch = n === q.length ? q : q.slice(0, n);
      this.queue = n === q.length ? [] : q.slice(n);
      let buf: Buffer;
      try {
        buf = encodeBatch(batch, sizes);
      } catch (e) {
        // Never let one bad message take the member down: drop the batch; Raft resends.
        this.o.log.error({ err: (e as Error).message, peer: this.id.toString(), messages: n }, 'dropped an unencodable raft batch');
        continue;
      }
      this.counters.sentMessages += n;
      this.counters.sentBatches++;
      this.counters.sentBytes += buf.length;
      this.o.stats.sent(this.id, buf.length);
      if (!call.write(buf)) this.blocked = true;
    }
  }

  /** One Probe call on the stream's connection; its round trip goes to the stats. */
  private probe(): void {
    const client = this.client;
    if (client === undefined || this.state !== 'active') return;
    const started = performance.now();
    client.makeUnaryRequest<object, Identity>(
      PROBE_PATH,
      probeDef.requestSerialize,
      probeDef.responseDeserialize,
      {},
      peerMetadata(this.o.clusterId, this.o.localId, this.id),
      { deadline: Date.now() + this.o.probeIntervalMs },
      (err) => {
        if (err === null && this.client === client) this.o.stats.roundTrip(this.id, (performance.now() - started) / 1000);
      },
    );
  }
}
