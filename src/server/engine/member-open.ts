/**
 * Building a member, in order: open the data dir (refusing a foreign or damaged one), resolve its
 * identity (new cluster, restart, or joining an existing one), load the MVCC store and the
 * lessor, restore the Raft storage, then the applier, the watch hub and the Ready loop. Nothing
 * starts here: EtcdMember.start() does, once the server has bound its ports.
 */
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { RawNode, MemoryStorage, type ConfState } from '../../raft';
import { MvccStore, type IndexLoader, type StoreHooks } from '../../mvcc';
import type { Config } from '../config/config';
import { effectiveQuotaBackendBytes, electionTicks } from '../config/config';
import { DataDirError, loadEngine, openMemberDb } from './storage/member-db';
import { indexImagePath, type LoadedImage } from './storage/index-image-store';
import { LevelEngine, type BatchOp } from './storage/level-engine';
import { MEMBER_KEY, MEMBERS_KEY } from './storage/keys';
import { resolveIdentity, memberRecord } from './boot';
import { RaftLoop } from './raft-loop';
import { Applier, type StoreHolder } from './apply/applier';
import { WaitRegistry } from './wait';
import { RequestIdGenerator } from '../wire/request-codec';
import { WatchHub } from './watch/hub';
import { AnswersInFlight } from './answers-in-flight';
import { attachAllKeys, openLessor } from './lease/setup';
import { roleOf } from './lease/role';
import { AlarmStore } from './alarm/alarm-store';
import { AuthStore } from '../../auth';
import { MemberAuth } from './auth/member-auth';
import { createTokenProvider, type TokenProvider } from './auth/token-provider';
import { parseAuthToken } from '../config/auth-token';
import { Quota } from './alarm/quota';
import { EtcdMember } from './member';
import { NO_STATS, type EngineStats } from './stats';
import { PLAIN_PEERS, type PeerTls } from '../tls/peer-tls';

/**
 * Opens the data dir, restores or bootstraps, and builds (but does not start) the member.
 * `peerTls` dials the peers (a joining member asks them for the membership); plain HTTP/2 when absent.
 */
export async function openMember(
  config: Config,
  log: Logger,
  stats: EngineStats = NO_STATS,
  peerTls: PeerTls = PLAIN_PEERS,
): Promise<EtcdMember> {
  const started = Date.now();
  // Read the JWT key files before touching the data dir: a bad --auth-token fails the start alone.
  let tokens: TokenProvider;
  try {
    tokens = createTokenProvider(parseAuthToken(config.authToken), config.authTokenTtlSec * 1000, () => performance.now());
  } catch (e) {
    // etcd refuses a bad --auth-token while starting the server, not as a flag error.
    throw new Error((e as Error).message);
  }
  const { db, boot } = await openMemberDb(config.dataDir);
  try {
    const id = await resolveIdentity(config, boot, log, (url) => peerTls.credentials(url));
    const tIndex = performance.now();
    const engine = new LevelEngine(db, config.valueCacheBytes);
    let loader: IndexLoader | undefined;
    let image: LoadedImage | undefined;
    try {
      let droppedPartial: number | undefined;
      ({ loader, image, droppedPartial } = await loadEngine(db, engine, boot.appliedIndex, indexImagePath(config.dataDir)));
      if (droppedPartial !== undefined) {
        log.warn(
          { 'deleted-keys': droppedPartial, 'applied-index': boot.appliedIndex },
          'deleted the revision records of an apply cut short by a crash; Raft replays it',
        );
      }
    } catch (e) {
      throw new DataDirError(`data dir ${JSON.stringify(config.dataDir)} is corrupt: ${(e as Error).message}`);
    }
    // A value that fails its checksum when read back stops the member (as a failed write does).
    engine.onCorrupt = (e) => refs.loop?.fail(e, 'the data dir is corrupt');
    const lessor = openLessor(config, engine);
    const leaseExists = (lid: bigint): boolean => lessor.has(lid);
    // Parts built later that earlier callbacks reach (set as each is built).
    const refs: { watchHub?: WatchHub; loop?: RaftLoop; member?: EtcdMember } = {};
    const hooks: StoreHooks = { leaseExists, eventsWanted: () => refs.watchHub === undefined || refs.watchHub.wantsEvents };
    const store: StoreHolder = {
      mvcc: new MvccStore(engine, hooks, loader),
      reopen: () => {
        const mvcc = new MvccStore(engine, hooks, engine.takeLoader());
        lessor.reload();
        attachAllKeys(lessor, mvcc);
        // Watchers may have missed revisions: they catch up from the new store's history.
        queueMicrotask(() => {
          refs.watchHub?.restore();
          refs.member?.compaction.kick();
        });
        return mvcc;
      },
    };
    attachAllKeys(lessor, store.mvcc);
    const indexMs = Math.round(performance.now() - tIndex);

    const storage = new MemoryStorage();
    let snapshotIndex = 0;
    let confState: ConfState = { voters: [], learners: [] };
    if (boot.snapshot) {
      storage.applySnapshot({ data: new Uint8Array(0), metadata: boot.snapshot });
      snapshotIndex = boot.snapshot.index;
      confState = boot.snapshot.confState;
    }
    if (boot.hardState) storage.setHardState(boot.hardState);
    const entries = boot.entries.filter((e) => e.index > snapshotIndex);
    if (entries.length > 0) storage.append(entries);

    const node = new RawNode({
      id: id.memberId,
      electionTick: electionTicks(config),
      heartbeatTick: 1,
      storage,
      applied: snapshotIndex,
      checkQuorum: true,
      preVote: config.preVote,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 512,
      random: (n: number) => randomInt(n),
    });
    if (id.bootstrap) node.bootstrap(id.peers);
    const identity: BatchOp[] = id.fresh
      ? [
          { type: 'put', key: MEMBER_KEY, value: Buffer.from(JSON.stringify(memberRecord(config.name, id))) },
          { type: 'put', key: MEMBERS_KEY, value: Buffer.from(id.membership.toJson()) },
        ]
      : [];
    const ids = new RequestIdGenerator(id.memberId, Date.now());

    const waits = new WaitRegistry(() => stats.proposalFailed());
    const answers = new AnswersInFlight();
    const watchHub: WatchHub = new WatchHub({
      whenQuiet: (fn) => answers.whenQuiet(fn),
      store: {
        get currentRevision() {
          return store.mvcc.currentRevision;
        },
        get compactRevision() {
          return store.mvcc.compactRevision;
        },
      },
      engine,
    });
    refs.watchHub = watchHub;
    const alarms = new AlarmStore(engine);
    const quota = new Quota(effectiveQuotaBackendBytes(config), () => engine.sizeBytes);
    const auth = new MemberAuth({
      store: new AuthStore(engine),
      tokens,
      bcryptCost: config.bcryptCost,
      clientCertAuth: config.clientTls.clientCertAuth,
      now: () => Date.now(),
      appliedIndex: () => refs.loop?.appliedIndex ?? 0,
    });
    const applier = new Applier({
      auth,
      now: () => Date.now(),
      alarms,
      quota,
      store,
      engine,
      waits,
      idHigh: Number(id.memberId & 0xffffn),
      membership: id.membership,
      log,
      applyConfChange: (cc) => node.applyConfChange(cc),
      onConfState: (cs) => {
        if (refs.loop) refs.loop.confState = cs;
      },
      lessor,
      onTermStarted: (term) => {
        if (refs.member) roleOf(refs.member).termStarted(term);
      },
      onEvents: (evs) => {
        lessor.onEvents(evs);
        watchHub.notify(evs);
      },
      onCompaction: () => refs.member?.compaction.kick(),
      onMembershipChange: (cc) => refs.member?.onMembershipChange?.(cc),
    });
    const loop = new RaftLoop({
      node,
      stats,
      storage,
      db,
      stateMachine: applier,
      log,
      fsync: !config.unsafeNoFsync,
      heartbeatMs: config.heartbeatMs,
      electionMs: config.electionMs,
      snapshotCount: config.snapshotCount,
      snapshotCatchupEntries: config.snapshotCatchupEntries,
      appliedIndex: boot.appliedIndex,
      confState,
      logRuns: boot.logRuns,
      snapshotIndex,
      requestId: () => ids.nextId(),
    });
    refs.loop = loop;
    const m = new EtcdMember(config, log, {
      memberId: id.memberId,
      clusterId: id.clusterId,
      membership: id.membership,
      store,
      engine,
      db,
      loop,
      waits,
      applier,
      watchHub,
      lessor,
      answers,
      alarms,
      auth,
      quota,
      ids,
      stats,
      identity,
      peerTls,
      backgroundCheck: boot.deferred,
    });
    refs.member = m;
    log.info(
      {
        'member-id': id.memberId.toString(16),
        'cluster-id': id.clusterId.toString(16),
        'data-dir': config.dataDir,
        bootstrap: id.bootstrap,
        'applied-index': boot.appliedIndex,
        'log-entries': entries.length,
        revision: store.mvcc.currentRevision,
        keys: store.mvcc.keyCount,
        took: `${Date.now() - started}ms`,
        'check-ms': boot.timings.check,
        'open-ms': boot.timings.open,
        'read-ms': boot.timings.read,
        'index-ms': indexMs,
        'index-from': image?.loader !== undefined ? `index image (${image.bytes} bytes)` : `revision headers (${image?.reason})`,
      },
      id.bootstrap ? 'bootstrapped new cluster' : 'restored member from data dir',
    );
    return m;
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}
