/**
 * One etcd member: the parts it is built from (member-open.ts builds them in order), its start
 * and stop (in reverse), publishing itself, and the view the services get (MemberApi). No
 * sockets here; see server.ts. The request API (proposals, reads) is MemberRequests.
 */
import type { RangeRequest } from '../../mvcc';
import type { Logger } from 'pino';
import type { ClassicLevel } from 'classic-level';
import type { ConfChange } from '../../raft';
import { EtcdError } from '../../errors';
import { autoCompactionRetention, type Config } from '../config/config';
import { storedAppliedIndex, type Db } from './storage/member-db';
import { indexImagePath, saveIndexImage } from './storage/index-image-store';
import type { LevelEngine, BatchOp } from './storage/level-engine';
import type { Membership } from './cluster/membership';
import type { RaftLoop } from './raft-loop';
import type { Applier, StoreHolder } from './apply/applier';
import type { WaitRegistry } from './wait';
import { RequestKind, type RequestIdGenerator } from '../wire/request-codec';
import type { WatchHub } from './watch/hub';
import type { AnswersInFlight } from './answers-in-flight';
import type { Lessor } from '../../lease';
import { LeaseExpiryDriver } from './lease/expiry-driver';
import { roleOf } from './lease/role';
import type { AlarmStore } from './alarm/alarm-store';
import type { Quota } from './alarm/quota';
import { addMember, promoteMember, removeMember, updateMember } from './cluster/reconfig';
import { MemberRequests } from './member-requests';
import type { EngineStats } from './stats';
import type { PeerTls } from '../tls/peer-tls';
import { AutoCompactor } from './auto-compactor';
import { CompactionDriver } from './compaction-driver';
import { bulkRange } from './bulk-range';
import { realScheduler } from './watch/types';
import { method } from '../wire/protos';
import type { ClusterReconfig, MemberApi, RaftView } from './member-api';
import type { MemberAuth } from './auth/member-auth';
import { lessorLeaseKeys, type LeaseKeys } from '../../auth';
import { etcdBuckets, keyBucket } from './snapshot/etcd-backend';
import { storedRevisions } from './snapshot/stored-revisions';
import type { BulkReader } from './storage/bulk-reader';
import { startBackgroundCheck, type BackgroundCheck } from './storage/background-check';
import { boltChunks } from '../../bbolt';
import { backendHash } from './snapshot/snapshot-status';
import { DowngradeStore, type DowngradeInfo } from './cluster/downgrade';

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
  auth: MemberAuth;
  quota: Quota;
  ids: RequestIdGenerator;
  stats: EngineStats;
  identity: BatchOp[];
  /** TLS towards the peers (credentials to dial them; the files serving https peer URLs). */
  peerTls: PeerTls;
  /** The stored values' checksums left to verify once serving. */
  backgroundCheck: BackgroundCheck;
}

export class EtcdMember extends MemberRequests implements MemberApi {
  readonly log: Logger;
  readonly membership: Membership;
  readonly engine: LevelEngine;
  readonly db: Db;
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
  /** TLS towards the peers. */
  readonly peerTls: PeerTls;
  /** Users, roles, tokens. */
  readonly auth: MemberAuth;
  readonly reconfig: ClusterReconfig = {
    add: (peerURLs, isLearner) => addMember(this, peerURLs, isLearner),
    remove: (id) => removeMember(this, id),
    update: (id, peerURLs) => updateMember(this, id, peerURLs),
    promote: (id) => promoteMember(this, id),
  };
  private leaseDriver: LeaseExpiryDriver | undefined;
  private compactor: AutoCompactor | undefined;
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
  private readonly backgroundCheck: BackgroundCheck;
  /** Deletes compacted revisions in the background. */
  readonly compaction: CompactionDriver;
  private stopCheck: (() => void) | undefined;

  constructor(config: Config, log: Logger, parts: MemberParts) {
    super(config, parts);
    this.log = log;
    this.membership = parts.membership;
    this.applier = parts.applier;
    this.engine = parts.engine;
    this.db = parts.db;
    this.watchHub = parts.watchHub;
    this.answers = parts.answers;
    this.lessor = parts.lessor;
    this.leaseKeys = lessorLeaseKeys(parts.lessor);
    this.alarms = parts.alarms;
    this.auth = parts.auth;
    this.identity = parts.identity;
    this.peerTls = parts.peerTls;
    this.backgroundCheck = parts.backgroundCheck;
    this.compaction = new CompactionDriver(
      {
        backlog: () => this.mvcc.compactionBacklog,
        step: (max) => {
          this.mvcc.compactStep(max);
          return this.engine.drain();
        },
        write: (ops) => this.loop.writer.append(ops),
      },
      log,
    );
  }

  /**
   * The member's state as an etcd 3.6 backend file (bbolt), as of the current applied index: what
   * Maintenance.Snapshot streams. The cut is taken synchronously (the small state encoded, a
   * LevelDB snapshot for the values); the values' lengths are then read in chunks, and the values
   * again as their pages are written. `close` releases the LevelDB snapshot.
   */
  async backendSnapshot(): Promise<{ size: number; chunks: Iterator<Buffer>; close(): Promise<void> }> {
    const { buckets, reader } = await this.backendCut();
    const { size, chunks } = boltChunks(buckets);
    return { size, chunks, close: () => reader.close() };
  }

  /** etcd's Maintenance.Hash of the backend: equal on members holding the same state. */
  async backendHash(): Promise<number> {
    const { buckets, reader } = await this.backendCut();
    try {
      return backendHash(buckets);
    } finally {
      await reader.close();
    }
  }

  private async backendCut(): Promise<{ buckets: ReturnType<typeof etcdBuckets>; reader: BulkReader }> {
    const reader = this.engine.bulkReader();
    const revisions = this.engine.revisionPairs();
    const buckets = etcdBuckets({
      engine: this.engine,
      revisions: [],
      auth: this.auth.store,
      members: this.membership.list(),
      appliedIndex: this.loop.appliedIndex,
      term: this.loop.term,
      confState: this.loop.confState,
    });
    try {
      buckets.set('key', keyBucket(await storedRevisions(reader, revisions)));
    } catch (e) {
      await reader.close();
      throw e;
    }
    return { buckets, reader };
  }

  /** The cluster's downgrade job, as applied. */
  get downgradeInfo(): DowngradeInfo {
    return new DowngradeStore(this.engine).info;
  }

  /** The keys attached to a lease, or undefined when there is no such lease (auth checks). */
  readonly leaseKeys: LeaseKeys;

  /** The Raft state, read-only, for the services. */
  get raft(): RaftView {
    return this.loop;
  }

  /** The encoded RangeResponse of a large range read in chunks off the main thread, or undefined (bulk-range.ts). */
  rangeBulk(req: RangeRequest): Promise<Buffer> | undefined {
    return bulkRange(this.mvcc, this.engine, req, (rev) => this.header(rev));
  }

  compactionDone(): Promise<void> {
    return this.compaction.whenDone();
  }

  get valueCache(): { bytes: number; hits: number; misses: number } {
    return this.engine.cacheStats;
  }

  get storeBytes(): number {
    return this.engine.sizeBytes;
  }

  /** Whether this member is a learner in the applied membership. */
  get isLearner(): boolean {
    return this.membership.get(this.memberId)?.isLearner ?? false;
  }

  /** Whether this member serves as the lease primary (waits for its term's first entry, at most `timeoutMs`). */
  leasePrimary(timeoutMs: number): Promise<boolean> {
    return roleOf(this).primary(timeoutMs);
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

  /** etcd's MoveLeader on the leader: transfer to a voter and wait until it leads. */
  async moveLeader(target: bigint): Promise<void> {
    if (!this.loop.isLeader) throw new EtcdError('NotLeader');
    const t = this.membership.get(target);
    if (t === undefined || t.isLearner) throw new EtcdError('BadLeaderTransferee');
    if (target === this.memberId) return;
    this.loop.transferLeader(target);
    const deadline = performance.now() + 5000 + 2 * this.config.electionMs;
    while (this.loop.lead !== target) {
      if (performance.now() > deadline) throw new EtcdError('Timeout', 'leader transfer took too long');
      await new Promise((r) => setTimeout(r, this.config.heartbeatMs));
    }
  }

  /** Compacts the whole LevelDB key range (etcd's Defragment rewrites its bbolt file). */
  async defragment(): Promise<void> {
    if (this.loop.appliedIndex < 0) throw new EtcdError('Stopped');
    await (this.db as unknown as ClassicLevel<string, Buffer>).compactRange('\u0000', '\uffff');
  }

  /** Writes a fresh member's identity, then starts the Raft loop, the lease timer and the sweeper. */
  async start(): Promise<void> {
    if (this.identity.length > 0) {
      await this.db.batch(this.identity as never, { sync: true });
      this.identity = [];
    }
    this.loop.onLeaderChange = () => {
      roleOf(this).sync();
      this.compactor?.setLeader(this.loop.isLeader);
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
    this.compactor = this.autoCompactor();
    this.compactor?.start();
    // A compaction left unfinished by a crash is found again at boot (MvccStore): finish it.
    this.compaction.kick();
    this.stopCheck = startBackgroundCheck(this.backgroundCheck, this.log, (e) => this.loop.fail(e, 'the data dir is corrupt'));
  }

  async stop(): Promise<void> {
    this.stopCheck?.();
    if (this.sweeper) clearInterval(this.sweeper);
    this.leaseDriver?.stop();
    this.compactor?.stop();
    this.compaction.stop();
    this.watchHub.close();
    await this.loop.stop();
    this.waits.rejectAll(new EtcdError('Stopped'));
    if (this.loop.failure === undefined) await this.saveIndexImage();
    await this.db.close();
  }

  /** Leaves an index image for the next start (index-image-store.ts); a failure only costs that start time. */
  private async saveIndexImage(): Promise<void> {
    const t0 = performance.now();
    try {
      const applied = await storedAppliedIndex(this.db);
      const skipped = saveIndexImage(indexImagePath(this.config.dataDir), this.engine, this.mvcc, applied);
      const ms = Math.round(performance.now() - t0);
      if (skipped === undefined) this.log.info({ keys: this.mvcc.keyCount, took: `${ms}ms` }, 'saved the index image');
      else this.log.info({ reason: skipped }, 'no index image saved');
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, 'saving the index image failed');
    }
  }

  /** The auto-compactor --auto-compaction-mode and --auto-compaction-retention ask for, if any. */
  private autoCompactor(): AutoCompactor | undefined {
    const mode = this.config.autoCompactionMode;
    const { periodMs, revisions } = autoCompactionRetention(this.config);
    const retention = mode === 'revision' ? revisions : periodMs;
    if (retention === 0) return undefined;
    const codec = method('etcdserverpb.KV', 'Compact');
    const c = new AutoCompactor({
      mode,
      retention,
      now: () => performance.now(),
      scheduler: realScheduler,
      rev: () => this.mvcc.currentRevision,
      compact: (revision) => this.propose(RequestKind.Compaction, codec.requestSerialize({ revision })),
      log: this.log,
    });
    c.setLeader(this.loop.isLeader);
    return c;
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
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
