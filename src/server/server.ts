/**
 * An etcd-ts server: a member plus its client listeners. `createServer(config)` builds it,
 * `start()` opens the data dir and the ports, `stop()` closes everything. Tests and embedders
 * use this in-process; `bin/etcd-ts` uses `startServer`.
 */
import { Server as GrpcServer, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/config';
import { validateConfig } from './config/config';
import { isUnixScheme, unixSocketPath, urlHost, urlPort, urlToEtcdString } from './config/urls';
import { createLogger } from './logger';
import type { EtcdMember } from './engine/member';
import { openMember } from './engine/member-open';
import { ClientListener } from './api/client-listener';
import { clientTls } from './tls/client-tls';
import { peerTlsSetup } from './tls/peer-tls';
import { listenerTls } from './tls/self-cert';
import { isTlsScheme, opensslCiphers } from './config/tls';
import { httpHandler, metricsOnlyHandler } from './api/http/handler';
import { Metrics } from './api/http/metrics';
import { Gateway } from './api/http/gateway';
import { PROTO_FILES, protoRoot, serviceDefinition } from './wire/protos';
import { strictRequests } from './wire/strict-wire';
import { withRawRequests } from './wire/raw-request';
import { kvFastDecoders } from './wire/flat-decoder';
import { passBuffersThrough } from './wire/framed-writes';
import { UnaryRoutes } from './wire/unary-routes';
import { kvService, KV_RAW_METHODS } from './api/kv-service';
import { maintenanceService } from './api/maintenance-service';
import { clusterService } from './api/cluster-service';
import { authService } from './api/auth-service';
import { watchService } from './api/watch/watch-service';
import { DiskUsage } from './engine/storage/disk-usage';
import { LeaderForwarder } from './api/lease/forward';
import { leaseService } from './api/lease/lease-service';
import { electionService } from './api/lock/election-service';
import { lockService } from './api/lock/lock-service';
import { intercept } from './api/interceptor';
import { healthDefinition, healthService } from './api/health-service';
import { linkPeers } from './engine/cluster/peer-link';
import type { PeerTransport } from './engine/peer/transport';
import { applyHeapPolicy } from './heap-policy';

export interface ServerOptions {
  logger?: Logger;
  /**
   * node's own arguments, for the V8 heap policy (heap-policy.ts), logged when the member is ready
   * (`node-flags`); absent: V8 is left as it is.
   */
  heapPolicy?: { execArgv: readonly string[] };
}

export class EtcdServer {
  readonly config: Config;
  readonly log: Logger;
  private readonly nodeFlags: readonly string[] | undefined;
  private member: EtcdMember | undefined;
  private grpc: GrpcServer | undefined;
  private listeners: ClientListener[] = [];
  /** The --listen-metrics-urls listeners (served /metrics and health only). */
  private readonly metricsListeners = new Set<ClientListener>();
  private transport: PeerTransport | undefined;
  private leaseForwarder: LeaderForwarder | undefined;
  private gateway: Gateway | undefined;
  private stopping: Promise<void> | undefined;
  private resolveDone!: () => void;
  /** Resolves when the server has stopped, whether by stop() or by itself (removed member). */
  readonly done: Promise<void> = new Promise((r) => {
    this.resolveDone = r;
  });
  /** The client URLs actually bound (port 0 resolved), in the order of --listen-client-urls. */
  clientUrls: string[] = [];

  constructor(config: Config, opts: ServerOptions = {}) {
    validateConfig(config);
    this.config = config;
    this.log = opts.logger ?? createLogger(config);
    // No log line: a start that fails logs exactly one line, as etcd's does.
    this.nodeFlags = opts.heapPolicy?.execArgv;
    if (this.nodeFlags !== undefined) applyHeapPolicy(this.nodeFlags);
  }

  get etcdMember(): EtcdMember {
    if (!this.member) throw new Error('server not started');
    return this.member;
  }

  /** Why the server stopped by itself, if a storage or apply failure stopped it (the process exits 1). */
  failure: Error | undefined;
  private resolveFailed!: (e: Error) => void;
  /** Resolves if a storage or apply failure stops the server (bin/ then exits 1 promptly). */
  readonly failed: Promise<Error> = new Promise((r) => {
    this.resolveFailed = r;
  });

  /**
   * Starts in etcd's order: bind the client ports, open the data dir, bind the peer port, start
   * the Raft loop, serve. A start that fails stops every part it started, in reverse order, and
   * rethrows; a port it cannot have fails it before the data dir is opened.
   */
  async start(): Promise<void> {
    let member: EtcdMember;
    try {
      member = await this.startParts();
    } catch (e) {
      await this.stop();
      throw e;
    }
    // Like etcd's ReadyNotify: start() returns once this member has joined the cluster's log.
    await Promise.race([member.ready, this.done]);
    if (this.failure) throw this.failure;
    const flags = this.nodeFlags !== undefined ? { 'node-flags': this.nodeFlags } : {};
    this.log.info({ 'member-id': member.memberId.toString(16), ...flags }, 'ready to serve client requests');
  }

  private async startParts(): Promise<EtcdMember> {
    const c = this.config;
    for (const f of c.unimplementedFlags) this.log.warn({ flag: f }, 'flag is accepted but not implemented yet; ignoring it');
    const bound: string[] = [];
    // The JSON gateway is a gRPC client of this member's first client URL, as etcd's is.
    let gatewayDial: { target: string; secure: boolean } | undefined;
    // etcd configures the peer listeners first, then the client ones (auto-TLS included); the
    // cipher suites are checked there whether TLS is used or not.
    opensslCiphers(c.cipherSuites);
    const tlsInfo = await listenerTls(c, this.log);
    const peerTls = peerTlsSetup({ listenPeerUrls: c.listenPeerUrls, peerTls: tlsInfo.peer }, this.log);
    const tls = clientTls({ ...c, clientTls: tlsInfo.client }, this.log);
    // With --listen-client-http-urls the client URLs serve gRPC only; metrics URLs serve only
    // /metrics and the health endpoints.
    const ports: Array<[URL, 'both' | 'grpc' | 'http', boolean]> = [
      ...c.listenClientUrls.map((u): [URL, 'both' | 'grpc', boolean] => [u, c.listenClientHttpUrls.length > 0 ? 'grpc' : 'both', false]),
      ...c.listenClientHttpUrls.map((u): [URL, 'http', boolean] => [u, 'http', false]),
      ...c.listenMetricsUrls.map((u): [URL, 'http', boolean] => [u, 'http', true]),
    ];
    for (const [u, mode, metricsOnly] of ports) {
      // etcd's metrics listener (createMetricsListener) is a plain transport.NewUnixListener for
      // unixs too: TLS files required, but no TLS served.
      const secure = isTlsScheme(u.protocol) && !(metricsOnly && isUnixScheme(u.protocol));
      const l = new ClientListener(this.log, secure ? tls : undefined, mode);
      this.listeners.push(l);
      if (metricsOnly) this.metricsListeners.add(l);
      if (isUnixScheme(u.protocol)) {
        const path = unixSocketPath(u, metricsOnly);
        // (etcd would listen on an unnamed, unreachable socket.)
        if (path === '') throw new Error(`listen URL ${urlToEtcdString(u)}: no unix socket path (unix://<path>)`);
        await l.bindUnix(path);
        if (mode === 'http') continue;
        bound.push(urlToEtcdString(u));
        // etcd's grpcGatewayDial dials `unix:<addr>` for a unix listener.
        gatewayDial ??= { target: `unix:${path}`, secure };
        continue;
      }
      const port = await l.bind(urlPort(u), urlHost(u));
      if (mode === 'http') continue;
      bound.push(`${u.protocol}//${urlHost(u) || 'localhost'}:${port}`);
      const host = ['0.0.0.0', '::', 'localhost', ''].includes(urlHost(u)) ? '127.0.0.1' : u.hostname;
      gatewayDial ??= { target: `${host}:${port}`, secure };
    }
    const metrics = new Metrics();
    const member = await openMember(c, this.log, metrics.engine, peerTls);
    this.member = member;
    member.onFatal = (err) => this.onMemberFailure(err);
    const maxReceive = c.maxRequestBytes + 512 * 1024;
    const grpc = new GrpcServer({
      'grpc.max_receive_message_length': maxReceive,
      'grpc.max_send_message_length': -1,
      'grpc.enable_channelz': 0,
      'grpc.keepalive_time_ms': 2 * 60 * 60 * 1000,
      'grpc.keepalive_timeout_ms': 20 * 1000,
      'grpc.max_concurrent_streams': 2 ** 31 - 1,
    });
    // Plain unary requests skip grpc-js's per-call machinery (wire/unary-call.ts).
    const unary = new UnaryRoutes({ maxReceive, maxSend: -1 });
    // etcd initialises the counters of its own services (not v3lock and v3election) at 0.
    const fast = kvFastDecoders(KV_RAW_METHODS);
    const add = (def: ServiceDefinition, impl: UntypedServiceImplementation, strict = true): void => {
      const counters = metrics.grpc.service(def, def !== lockDef && def !== electionDef);
      const served = strict ? strictRequests(def, protoRoot(), PROTO_FILES, fast) : def;
      const handlers = intercept(def, impl, member, counters);
      grpc.addService(served, handlers);
      unary.add(served, handlers);
    };
    const lockDef = serviceDefinition('v3lockpb.Lock');
    const electionDef = serviceDefinition('v3electionpb.Election');
    // Range answers may be encoded already (wire/range-encoder.ts).
    add(passBuffersThrough(withRawRequests('etcdserverpb.KV', KV_RAW_METHODS)), kvService(member, this.log));
    const disk = new DiskUsage(join(c.dataDir, 'member', 'leveldb'));
    add(serviceDefinition('etcdserverpb.Maintenance'), maintenanceService(member, disk, this.log));
    add(serviceDefinition('etcdserverpb.Cluster'), clusterService(member, this.log));
    add(serviceDefinition('etcdserverpb.Auth'), authService(member, this.log));
    add(passBuffersThrough(serviceDefinition('etcdserverpb.Watch')), watchService(member, this.log));
    const forward = new LeaderForwarder(() => member.membership.get(member.loop.lead)?.clientURLs ?? [], 5000, tls?.info);
    this.leaseForwarder = forward;
    add(serviceDefinition('etcdserverpb.Lease'), leaseService(member, this.log, { forward }));
    add(lockDef, lockService(member, this.log));
    add(electionDef, electionService(member, this.log));
    add(healthDefinition, healthService(this.log), false);
    this.grpc = grpc;
    this.transport = await linkPeers(member, c.listenPeerUrls, this.log, () => {
      void this.stop();
    });
    await member.start();
    metrics.watch(member, () => disk.bytes());
    const dial = gatewayDial!;
    this.gateway = new Gateway(() => dial.target, dial.secure && tls !== undefined ? tls.info : undefined);
    const handler = httpHandler(member, metrics, this.gateway);
    const metricsHandler = metricsOnlyHandler(handler);
    for (const l of this.listeners) l.serve(grpc, this.metricsListeners.has(l) ? metricsHandler : handler, unary);
    this.clientUrls = bound;
    this.serving = true;
    this.log.info({ 'listen-client-urls': this.clientUrls, 'member-id': member.memberId.toString(16) }, 'serving client traffic');
    return member;
  }

  /** Whether start got as far as serving (a start that failed earlier logs only its error). */
  private serving = false;

  /** A storage or apply failure: stop serving at once (no leadership hand-over), then `done`. */
  private onMemberFailure(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.resolveFailed(err);
    void this.stop();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.member && !this.failure) await this.member.transferLeadershipBeforeStop().catch(() => undefined);
    await Promise.all(this.listeners.map((l) => l.close()));
    this.listeners = [];
    this.grpc?.forceShutdown();
    this.grpc = undefined;
    this.leaseForwarder?.close();
    this.gateway?.close();
    this.leaseForwarder = undefined;
    if (this.member) await this.member.stop().catch((e: Error) => this.log.error({ err: e.message }, 'stopping the member failed'));
    this.member = undefined;
    if (this.transport) await this.transport.stop();
    this.transport = undefined;
    if (this.serving)
      this.log.info(this.failure ? { err: this.failure.message } : {}, this.failure ? 'stopped after a fatal error' : 'stopped');
    this.log.flush?.();
    this.resolveDone();
  }
}

export function createServer(config: Config, opts?: ServerOptions): EtcdServer {
  return new EtcdServer(config, opts);
}

export async function startServer(config: Config, opts?: ServerOptions): Promise<EtcdServer> {
  const s = createServer(config, opts);
  await s.start();
  return s;
}
