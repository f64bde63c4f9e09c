/**
 * PeerTransport: the etcd-ts member-to-member transport on --listen-peer-urls (our own gRPC
 * service `etcdts.peer.Peer`, see proto/etcdts/peer.proto). What etcd's rafthttp does, in gRPC
 * terms: one long-lived stream per peer for raft messages (RemotePeer), a separate call and
 * connection per snapshot (sendSnapshot), cluster-id / removed-member admission (Inbound),
 * unreachable and snapshot-status reports back to raft.
 */
import {
  Server,
  ServerCredentials,
  credentials,
  Client,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { constants as bufferConstants } from 'node:buffer';
import type { Logger } from 'pino';
import { MessageType, type Message } from '../../../raft/types';
import { peerMetadata } from './headers';
import { Inbound } from './inbound';
import { PEER_SERVICE, PROBE_PATH } from './peer-service';
import type { Identity } from './peer-codec';
import { NO_PEER_STATS, type PeerStats } from './peer-stats';
import type { PeerTls } from '../../tls/peer-tls';
import { listenTls, type TlsPeerListener } from './tls-listener';
import { listenError } from '../../wire/listen-error';
import { RemotePeer, type PeerState, type RemotePeerStatus } from './remote-peer';
import { sendSnapshot } from './snapshot-sender';
import { grpcTarget } from './urls';

export interface PeerTransportTuning {
  /** Messages queued per peer before new ones are dropped (etcd: streamBufSize 4096). */
  queueLimit: number;
  /** Upper bound of one MessageBatch write, in encoded bytes (a single larger message still goes). */
  maxBatchBytes: number;
  snapshotChunkBytes: number;
  /** Largest snapshot blob accepted from a peer. */
  maxSnapshotBytes: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** How long a new stream may wait for the receiver's hello before it counts as failed. */
  helloTimeoutMs: number;
  keepaliveMs: number;
  /** Snapshot progress log interval, bytes. */
  snapshotProgressBytes: number;
  /** Round-trip probes of each active peer (etcd records the probed RTT every 30 s). */
  probeIntervalMs: number;
}

export const DEFAULT_TUNING: PeerTransportTuning = {
  queueLimit: 4096,
  maxBatchBytes: 4 << 20,
  snapshotChunkBytes: 1 << 20,
  maxSnapshotBytes: Math.min(bufferConstants.MAX_LENGTH, 8 * 1024 ** 3),
  backoffMinMs: 100,
  backoffMaxMs: 1000,
  helloTimeoutMs: 5000,
  keepaliveMs: 10_000,
  snapshotProgressBytes: 64 << 20,
  probeIntervalMs: 30_000,
};

export interface PeerTransportOptions {
  memberId: bigint;
  clusterId: bigint;
  log: Logger;
  /** Every raft message received from a peer, in order per sender. */
  onMessage(m: Message): void;
  /** A MsgSnap whose snapshot.data is the full, checksum-verified blob. */
  onSnapshot(m: Message): void;
  reportUnreachable(id: bigint): void;
  reportSnapshot(id: bigint, status: 'finish' | 'failure'): void;
  /** The state-machine payload for an outgoing MsgSnap. */
  snapshotBlob(m: Message): Promise<Uint8Array> | Uint8Array;
  /** A peer told us this member has been removed from the cluster. */
  onRemoved?(): void;
  /** A peer's outgoing stream changed state (connecting / active / backoff / stopped). */
  onPeerStateChange?(id: bigint, state: PeerState): void;
  /** Further services served on the peer listener (e.g. cluster information for joining members). */
  services?: { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[];
  /** Ids already known to be removed (refused from the start). */
  removed?: Iterable<bigint>;
  tuning?: Partial<PeerTransportTuning>;
  /** Traffic for metrics (default: none). */
  stats?: PeerStats;
  /** TLS for https peer URLs, served and dialled (default: plain HTTP/2 only). */
  tls?: PeerTls;
  /** Fault injection for tests. */
  testHooks?: { mutateSnapshotChunk?: (index: number, data: Uint8Array) => Uint8Array };
}

export interface PeerTransportStatus extends RemotePeerStatus {
  /** Open inbound streams from this peer. */
  inbound: number;
  snapshotInFlight: boolean;
}

export class PeerTransport {
  readonly tuning: PeerTransportTuning;
  private readonly peers = new Map<bigint, RemotePeer>();
  private readonly removed = new Set<bigint>();
  private readonly inbound: Inbound;
  private readonly channelOptions: ChannelOptions;
  private readonly snapshotClients = new Set<Client>();
  private readonly snapshotsInFlight = new Map<bigint, number>();
  private server: Server | undefined;
  private bound: URL[] = [];
  private tlsListeners: TlsPeerListener[] = [];
  private stopped = false;

  constructor(private readonly o: PeerTransportOptions) {
    this.tuning = { ...DEFAULT_TUNING, ...o.tuning };
    for (const id of o.removed ?? []) this.removed.add(id);
    this.inbound = new Inbound({
      memberId: o.memberId,
      clusterId: o.clusterId,
      isRemoved: (id) => this.removed.has(id),
      log: o.log,
      onMessage: o.onMessage,
      onSnapshot: o.onSnapshot,
      maxSnapshotBytes: this.tuning.maxSnapshotBytes,
      stats: o.stats ?? NO_PEER_STATS,
    });
    const t = this.tuning;
    this.channelOptions = {
      'grpc.initial_reconnect_backoff_ms': t.backoffMinMs,
      'grpc.max_reconnect_backoff_ms': t.backoffMaxMs,
      'grpc.keepalive_time_ms': t.keepaliveMs,
      'grpc.keepalive_timeout_ms': 5000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // Own connection per client: the message stream and each snapshot never share a socket.
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
    };
  }

  /** Binds a gRPC server on each peer URL (port 0 picks a free port; see boundUrls()). */
  async listen(urls: URL[]): Promise<void> {
    if (this.server !== undefined) throw new Error('peer transport already listening');
    const server = new Server({
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_time_ms': this.tuning.keepaliveMs,
      'grpc.keepalive_timeout_ms': 5000,
    });
    server.addService(PEER_SERVICE, this.inbound.handlers());
    for (const svc of this.o.services ?? []) server.addService(svc.definition, svc.implementation);
    this.server = server;
    try {
      for (const url of urls) {
        const target = grpcTarget(url);
        const files = this.o.tls?.files;
        let port: number;
        if (url.protocol === 'https:' && files !== undefined) {
          const l = await listenTls(server, url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), files, this.o.log);
          this.tlsListeners.push(l);
          port = l.port;
        } else {
          port = await new Promise<number>((resolve, reject) =>
            server.bindAsync(target, ServerCredentials.createInsecure(), (err, p) =>
              err ? reject(listenError(err, url.hostname, Number(url.port))) : resolve(p),
            ),
          );
        }
        const b = new URL(url.href);
        b.port = String(port);
        this.bound.push(b);
        this.o.log.info({ url: b.href }, 'listening for peers');
      }
    } catch (err) {
      server.forceShutdown();
      for (const l of this.tlsListeners) l.close();
      this.tlsListeners = [];
      this.server = undefined;
      this.bound = [];
      throw err;
    }
  }

  /** The peer URLs actually bound, with the real ports. */
  boundUrls(): URL[] {
    return this.bound.map((u) => new URL(u.href));
  }

  boundPorts(): number[] {
    return this.bound.map((u) => Number(u.port));
  }

  addPeer(id: bigint, urls: string[]): void {
    if (this.stopped || id === this.o.memberId) return;
    if (this.removed.has(id)) {
      this.o.log.warn({ peer: id.toString() }, 'not adding a removed member as peer');
      return;
    }
    const existing = this.peers.get(id);
    if (existing !== undefined) return existing.updateUrls(urls);
    this.peers.set(
      id,
      new RemotePeer(id, urls, {
        localId: this.o.memberId,
        clusterId: this.o.clusterId,
        log: this.o.log,
        reportUnreachable: (pid) => this.o.reportUnreachable(pid),
        onRemoved: () => this.o.onRemoved?.(),
        onStateChange: (pid, st) => this.o.onPeerStateChange?.(pid, st),
        channelOptions: this.channelOptions,
        queueLimit: this.tuning.queueLimit,
        maxBatchBytes: this.tuning.maxBatchBytes,
        backoffMinMs: this.tuning.backoffMinMs,
        backoffMaxMs: this.tuning.backoffMaxMs,
        helloTimeoutMs: this.tuning.helloTimeoutMs,
        stats: this.o.stats ?? NO_PEER_STATS,
        probeIntervalMs: this.tuning.probeIntervalMs,
        credentials: (url) => this.credentials(url),
      }),
    );
    this.o.log.info({ peer: id.toString(), urls }, 'added peer');
  }

  updatePeer(id: bigint, urls: string[]): void {
    const p = this.peers.get(id);
    if (p === undefined) return this.addPeer(id, urls);
    p.updateUrls(urls);
  }

  /** Forgets a peer and refuses it from now on (member ids are never reused). */
  removePeer(id: bigint): void {
    this.removed.add(id);
    const p = this.peers.get(id);
    if (p !== undefined) {
      p.stop();
      this.peers.delete(id);
    }
    this.inbound.cutOff(id);
    this.o.log.info({ peer: id.toString() }, 'removed peer');
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Non-blocking: queues each message on its peer's stream; MsgSnap goes to the snapshot path. */
  send(msgs: readonly Message[]): void {
    if (this.stopped) return;
    let groups: Map<bigint, Message[]> | undefined;
    for (const m of msgs) {
      if (m.to === 0n) continue;
      if (m.type === MessageType.MsgSnap) {
        void this.sendSnap(m);
        continue;
      }
      groups ??= new Map();
      const g = groups.get(m.to);
      if (g === undefined) groups.set(m.to, [m]);
      else g.push(m);
    }
    if (groups === undefined) return;
    for (const [to, list] of groups) {
      const p = this.peers.get(to);
      if (p === undefined) {
        this.o.log.debug(
          { to: to.toString(), type: MessageType[list[0]!.type], count: list.length },
          'dropped raft messages to unknown peer',
        );
        continue;
      }
      if (p.enqueue(list) > 0) this.o.reportUnreachable(to);
    }
  }

  /** When the outgoing stream to a peer became active (ms, wall clock); undefined while it is not. */
  activeSince(id: bigint): number | undefined {
    return this.peers.get(id)?.status().activeSince?.getTime();
  }

  /** Per-peer status for metrics (streams, queues, counters). */
  activePeers(): PeerTransportStatus[] {
    const inbound = this.inbound.inboundStreams();
    return [...this.peers.values()].map((p) => ({
      ...p.status(),
      inbound: inbound.get(p.id) ?? 0,
      snapshotInFlight: (this.snapshotsInFlight.get(p.id) ?? 0) > 0,
    }));
  }

  /** Receiving-side counters. */
  inboundStats(): Readonly<Inbound['stats']> {
    return { ...this.inbound.stats };
  }

  /** Asks a peer (by id) for its member and cluster id. */
  async probe(id: bigint, timeoutMs = 2000): Promise<Identity> {
    const url = this.peers.get(id)?.preferredUrl();
    if (url === undefined) throw new Error(`unknown peer ${id}`);
    const client = new Client(grpcTarget(url), this.credentials(url), this.channelOptions);
    try {
      const def = PEER_SERVICE.Probe!;
      return await new Promise<Identity>((resolve, reject) =>
        client.makeUnaryRequest<object, Identity>(
          PROBE_PATH,
          def.requestSerialize,
          def.responseDeserialize,
          {},
          peerMetadata(this.o.clusterId, this.o.memberId, id),
          { deadline: Date.now() + timeoutMs },
          (err, res) => (err ? reject(err) : resolve(res!)),
        ),
      );
    } finally {
      client.close();
    }
  }

  /** Credentials to dial a peer URL (TLS for https). */
  credentials(url: string): ChannelCredentials {
    return this.o.tls?.credentials(url) ?? credentials.createInsecure();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.peers.values()) p.stop();
    this.peers.clear();
    for (const c of this.snapshotClients) c.close();
    this.snapshotClients.clear();
    this.inbound.closeAll();
    for (const l of this.tlsListeners) l.close();
    this.tlsListeners = [];
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private async sendSnap(m: Message): Promise<void> {
    const to = m.to;
    const peer = this.peers.get(to);
    const url = peer?.preferredUrl();
    if (peer === undefined || url === undefined) {
      this.o.log.debug({ to: to.toString() }, 'dropped MsgSnap to unknown peer');
      return;
    }
    this.snapshotsInFlight.set(to, (this.snapshotsInFlight.get(to) ?? 0) + 1);
    let client: Client | undefined;
    try {
      const blob = await this.o.snapshotBlob(m);
      if (this.stopped || this.peers.get(to) !== peer) throw new Error('peer removed or transport stopped');
      client = new Client(grpcTarget(url), this.credentials(url), this.channelOptions);
      this.snapshotClients.add(client);
      await sendSnapshot({
        client,
        metadata: peerMetadata(this.o.clusterId, this.o.memberId, to),
        msg: m,
        blob,
        chunkSize: this.tuning.snapshotChunkBytes,
        log: this.o.log,
        progressEvery: this.tuning.snapshotProgressBytes,
        ...(this.o.testHooks?.mutateSnapshotChunk ? { mutateChunk: this.o.testHooks.mutateSnapshotChunk } : {}),
      });
      if (!this.stopped) this.o.reportSnapshot(to, 'finish');
    } catch (err) {
      const e = err as Error & { details?: string };
      this.o.log.warn({ to: to.toString(), index: m.snapshot?.metadata.index, error: e.details ?? e.message }, 'sending snapshot failed');
      if (!this.stopped) {
        this.o.reportUnreachable(to);
        this.o.reportSnapshot(to, 'failure');
      }
    } finally {
      if (client !== undefined) {
        this.snapshotClients.delete(client);
        client.close();
      }
      const n = (this.snapshotsInFlight.get(to) ?? 1) - 1;
      if (n <= 0) this.snapshotsInFlight.delete(to);
      else this.snapshotsInFlight.set(to, n);
    }
  }
}
