/**
 * One etcd member: the data dir, the Raft loop, the state machine and what the gRPC handlers
 * need from them (headers, proposals, linearizable reads). No sockets here; see server.ts.
 */
import type { Logger } from 'pino';
import type { ConfChange } from '../../raft';
import { MvccStore } from '../../mvcc';
import { EtcdError } from '../../errors';
import type { Config } from '../config/config';
import type { Db } from './storage/member-db';
import { LevelEngine } from './storage/level-engine';
import type { Membership } from './cluster/membership';
import { RaftLoop } from './raft-loop';
import { Applier, type StoreHolder } from './apply/applier';
import { WaitRegistry } from './wait';
import { encodeRequest, RequestIdGenerator, RequestKind } from '../wire/request-codec';
import type { Header } from '../wire/convert';
import { WatchHub } from './watch/hub';
import { AnswersInFlight } from './answers-in-flight';
import type { Lessor } from '../../lease';
import { LeaseExpiryDriver } from './lease/expiry-driver';
import { roleOf } from './lease/role';
import type { BatchOp } from './storage/level-engine';
import { AlarmStore } from './alarm/alarm-store';
import { Quota } from './alarm/quota';
import type { AlarmResult } from './apply/applier';
import { method } from '../wire/protos';

/** Bytes etcd's InternalRaftRequest (header with request id, op field) adds to a request. */
const INTERNAL_REQUEST_OVERHEAD = 17;

/** The parts a member is built from (see member-open.ts, which builds them in order). */
export interface MemberParts {
  memberId: bigint;
  clusterId: bigint;
  membership: Membership;
  store: StoreHolder;
  engine: LevelEngine;
  db: Db;
  loop: RaftLoop;
  waits: WaitRegistry;
  applier: Applier;
  watchHub: WatchHub;
  lessor: Lessor;
  answers: AnswersInFlight;
  alarms: AlarmStore;
  quota: Quota;
  ids: RequestIdGenerator;
  identity: BatchOp[];
}

export class EtcdMember {
  readonly config: Config;
  readonly log: Logger;
  readonly memberId: bigint;
  readonly clusterId: bigint;
  readonly membership: Membership;
  private readonly store: StoreHolder;
  readonly engine: LevelEngine;
  readonly db: Db;
  readonly loop: RaftLoop;
  readonly applier: Applier;
  /** Called after a membership change is applied (the peer transport follows it). */
  onMembershipChange: ((cc: ConfChange) => void) | undefined;
  /** Every watcher of every Watch stream; fed by the applier's events. */
  readonly watchHub: WatchHub;
  /** Unary answers being sent (the watch fan-out waits for them). */
  readonly answers: AnswersInFlight;
  readonly lessor: Lessor;
  /** The cluster's alarms (NOSPACE, CORRUPT), as applied. */
  readonly alarms: AlarmStore;
  readonly quota: Quota;
  private leaseDriver: LeaseExpiryDriver | undefined;
  private readonly waits: WaitRegistry;
  private readonly ids: RequestIdGenerator;
  private readonly memberIdStr: string;
  private readonly clusterIdStr: string;
  private readonly requestTimeoutMs: number;
  private sweeper: NodeJS.Timeout | undefined;
  private published = false;
  private markReady!: () => void;
  /** Resolves once this member has published itself through Raft (etcd's ReadyNotify). */
  readonly ready: Promise<void> = new Promise((r) => {
    this.markReady = r;
  });
  private publishing = false;
  /** A fresh member's identity records, written when it starts (a start that fails before leaves the data dir as it was). */
  private identity: BatchOp[];
  /**
   * When this member's stream to a peer came up (ms, wall clock), or undefined while it is down
   * (etcd's transport.ActiveSince); set by the peer transport, for the strict reconfig checks.
   */
  peerActiveSince: (id: bigint) => number | undefined = () => undefined;
  /** Called once if the member fails for good (storage or apply); the server stops and the process exits. */
  onFatal: ((err: Error) => void) | undefined;

  constructor(config: Config, log: Logger, parts: MemberParts) {
    this.config = config;
    this.log = log;
    this.memberId = parts.memberId;
    this.clusterId = parts.clusterId;
    this.membership = parts.membership;
    this.store = parts.store;
    this.applier = parts.applier;
    this.engine = parts.engine;
    this.db = parts.db;
    this.loop = parts.loop;
    this.waits = parts.waits;
    this.watchHub = parts.watchHub;
    this.answers = parts.answers;
    this.lessor = parts.lessor;
    this.alarms = parts.alarms;
    this.quota = parts.quota;
    this.memberIdStr = this.memberId.toString();
    this.clusterIdStr = this.clusterId.toString();
    this.ids = parts.ids;
    this.identity = parts.identity;
    this.requestTimeoutMs = 5000 + 2 * config.electionMs;
  }

  /** Proposals waiting to be applied (etcd_server_proposals_pending). */
  get pendingProposals(): number {
    return this.waits.size;
  }

  /**
   * A leader about to stop hands leadership to its most up-to-date voter first, as etcd's
   * TryTransferLeadershipOnShutdown does, so the cluster need not wait an election timeout.
   */
  async transferLeadershipBeforeStop(): Promise<void> {
    if (!this.loop.isLeader) return;
    const st = this.loop.status();
    let best: bigint | undefined;
    let bestMatch = -1;
    for (const [id, p] of st.progress ?? []) {
      if (id === this.memberId || !this.loop.confState.voters.includes(id)) continue;
      if (p.match > bestMatch) {
        best = id;
        bestMatch = p.match;
      }
    }
    if (best === undefined) return;
    this.log.info({ 'member-id': this.memberId.toString(16), transferee: best.toString(16) }, 'transferring leadership before stopping');
    this.loop.transferLeader(best);
    const deadline = performance.now() + 2 * this.config.electionMs;
    while (this.loop.lead === this.memberId && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.max(10, this.config.heartbeatMs / 4)));
    }
  }

  /** Whether this member is a learner in the applied membership. */
  get isLearner(): boolean {
    return this.membership.get(this.memberId)?.isLearner ?? false;
  }

  /** The MVCC store (replaced when a snapshot from the leader is installed). */
  get mvcc(): MvccStore {
    return this.store.mvcc;
  }

  /** Writes a fresh member's identity, then starts the Raft loop, the lease timer and the sweeper. */
  async start(): Promise<void> {
    if (this.identity.length > 0) {
      await this.db.batch(this.identity as never, { sync: true });
      this.identity = [];
    }
    this.loop.onLeaderChange = () => {
      roleOf(this).sync();
      this.maybePublish();
    };
    this.loop.onFatal = (err) => {
      this.waits.rejectAll(new EtcdError('Stopped', err.message));
      this.onFatal?.(err);
    };
    this.loop.start();
    // A single voter need not wait an election timeout to lead itself.
    this.loop.campaignIfSoleVoter();
    this.sweeper = setInterval(() => this.waits.expire(performance.now(), () => new EtcdError('Timeout')), 500);
    this.sweeper.unref?.();
    this.leaseDriver = new LeaseExpiryDriver(this, this.log);
    this.leaseDriver.start();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.leaseDriver?.stop();
    this.watchHub.close();
    await this.loop.stop();
    this.waits.rejectAll(new EtcdError('Stopped'));
    await this.db.close();
  }

  /** Publishes this member's name and client URLs through the log once there is a leader. */
  private maybePublish(): void {
    if (this.published || this.publishing || this.loop.lead === 0n) return;
    const me = this.membership.get(this.memberId);
    const clientURLs = this.config.advertiseClientUrls;
    if (me && me.name === this.config.name && sameList(me.clientURLs, clientURLs)) {
      this.published = true;
      this.markReady();
      return;
    }
    const payload = Buffer.from(JSON.stringify({ id: this.memberIdStr, name: this.config.name, clientURLs }));
    this.publishing = true;
    this.propose(RequestKind.PublishMember, payload).then(
      () => {
        this.publishing = false;
        this.published = true;
        this.markReady();
        this.log.info(
          { 'member-id': this.memberId.toString(16), name: this.config.name, 'client-urls': clientURLs },
          'published local member to cluster through raft',
        );
      },
      (e: Error) => {
        this.publishing = false;
        this.log.warn({ err: e.message }, 'failed to publish local member; will retry on next leader change');
      },
    );
  }

  /** A response header; `revision` defaults to the current store revision. */
  header(revision?: number): Header {
    return {
      cluster_id: this.clusterIdStr,
      member_id: this.memberIdStr,
      revision: revision ?? this.mvcc.currentRevision,
      raft_term: this.loop.term,
    };
  }

  /**
   * Proposes a request (`payload`: its etcd protobuf encoding, as the client sent it) and
   * resolves with its apply result. Every member, this one included, applies the log's bytes.
   */
  propose<T>(kind: RequestKind, payload: Uint8Array): Promise<T> {
    const id = this.ids.next();
    const data = encodeRequest(kind, this.ids.high, id, payload);
    // etcd compares the marshaled InternalRaftRequest, 17 bytes larger than the client's message.
    if (payload.length + INTERNAL_REQUEST_OVERHEAD > this.config.maxRequestBytes) return Promise.reject(new EtcdError('RequestTooLarge'));
    const p = this.waits.register<T>(id, performance.now() + this.requestTimeoutMs);
    try {
      this.loop.propose(data);
    } catch (e) {
      this.waits.take(id);
      return Promise.reject(e);
    }
    return p;
  }

  /** An AlarmRequest (GET, ACTIVATE, DEACTIVATE) through Raft, as etcd sends every one. */
  alarm(request: { action: string; memberID: string; alarm: string }): Promise<AlarmResult> {
    const payload = method('etcdserverpb.Maintenance', 'Alarm').requestSerialize(request);
    return this.propose<AlarmResult>(RequestKind.Alarm, payload);
  }

  /**
   * etcd's quotaAlarmer.check, before a Put, Txn or LeaseGrant is proposed: a request that would
   * take the store over the quota raises NOSPACE for this member and fails with NoSpace.
   * Returns undefined when the request fits.
   */
  checkQuota(cost: number): Promise<never> | undefined {
    if (this.quota.available(cost)) return undefined;
    const fail = (): never => {
      throw new EtcdError('NoSpace');
    };
    return this.alarm({ action: 'ACTIVATE', memberID: this.memberIdStr, alarm: 'NOSPACE' }).then(fail, fail);
  }

  /**
   * Proposes a membership change and resolves once it is applied on this member. The change's
   * id carries a waiter id, as a request's does.
   */
  proposeConfChange(cc: Omit<ConfChange, 'id'>): Promise<void> {
    const low = this.ids.next();
    const id = (BigInt(this.ids.high) << 48n) | BigInt(low);
    const p = this.waits.register<void>(low, performance.now() + this.requestTimeoutMs);
    try {
      this.loop.proposeConfChange({ ...cc, id });
    } catch (e) {
      this.waits.take(low);
      return Promise.reject(e);
    }
    return p;
  }

  /** Waits for a linearizable read point unless the read is serializable. */
  readBarrier(serializable: boolean): Promise<void> | undefined {
    if (serializable) return undefined;
    return this.loop.linearizableBarrier();
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
