/**
 * The Ready loop: drives the pure Raft core (`src/raft`) with time, storage and the network.
 *
 * ORDERING CONTRACT, followed line by line in `processReady` (etcd `server/etcdserver/raft.go`):
 *   1. PERSIST in ONE LevelDB batch, synced when Raft asks (`mustSync`): the previous Ready's
 *      applied effects with their applied index, the snapshot (if any), the new entries
 *      (deleting a conflicting tail) and the hard state. One fsync covers every write of an
 *      event-loop turn.
 *   2. ONLY THEN append the entries to the in-memory Raft storage, install the snapshot and SEND
 *      the messages (a follower's acknowledgement never precedes its own fsync). A leader sends
 *      while the batch is written instead, as etcd does (send-order.ts).
 *   3. APPLY committed entries in order: they are durable in this member's log now, so nothing
 *      a reader or watcher sees can be lost by a crash (etcd issue 14370). ANSWER their
 *      proposers. Their effects travel in the next batch (or an idle flush); a crash before it
 *      replays them from the log, since the applied index is written atomically with them.
 *   4. Resolve read-index waiters, then ADVANCE the node.
 * One Ready is processed at a time; proposals arriving meanwhile are batched into the next one.
 */
import { EntryType, isEmptySnapshot, type ConfChange, type ConfState, type Status, type Message, type Ready } from '../../raft';
import { EtcdError } from '../../errors';
import { ApplyError, type RaftLoopOptions, type StateMachine } from './raft-loop-deps';
import { DiskLog } from './disk-log';
import { BatchWriter } from './batch-writer';
import { SLOW_APPLY_MS } from './stats';
import type { BatchOp } from './storage/level-engine';
import { IndexWaiters } from './wait';
import { HeartbeatDetector } from './heartbeat-detector';
import { ReadRounds } from './read-rounds';
import { sendsBeforeWrite } from './send-order';
import { saveSnapshotPoint } from './snapshot-point';

export { ApplyError, type RaftLoopOptions, type StateMachine } from './raft-loop-deps';

export class RaftLoop {
  private readonly o: RaftLoopOptions;
  private running = false;
  private scheduled = false;
  private stopped = false;
  private ticker: NodeJS.Timeout | undefined;
  /** Every write, in order; applied effects wait there for the next Ready's batch or an idle flush. */
  /** Also takes state-machine effects made outside apply (compaction's deletes): append(). */
  readonly writer: BatchWriter;
  private fatal: Error | undefined;

  /**
   * Called once when the loop fails for good (a storage write failed, or applying an entry threw
   * an unexpected error): the member must stop serving and the process exit, as etcd does, so
   * that its supervisor restarts it and the restart replays from the durable state.
   */
  onFatal: ((err: Error) => void) | undefined;
  /** Called when leadership or term changes. */
  onLeaderChange: ((lead: bigint, term: number) => void) | undefined;
  /** Sends Raft messages to peers (the peer transport); unset for a lone member. */
  sendMessages: ((msgs: Message[]) => void) | undefined;
  /** Times a (new) leader was seen, for etcd_server_leader_changes_seen_total. */
  leaderChangesSeen = 0;
  /** Leader id as last reported by the core (0n = none). */
  lead = 0n;
  term = 0;
  /** The vote last made durable (with `term`); whether the core leads, as of its latest soft state. */
  private vote: bigint;
  private leading = false;
  commitIndex = 0;
  appliedIndex: number;
  confState: ConfState;
  /** The log's entry keys on disk. */
  private readonly disk: DiskLog;
  private snapshotIndex: number;
  private readonly applyWaiters = new IndexWaiters();

  private readonly reads: ReadRounds;
  private readonly heartbeats: HeartbeatDetector;

  constructor(o: RaftLoopOptions) {
    this.o = o;
    this.appliedIndex = o.appliedIndex;
    this.confState = o.confState;
    this.disk = new DiskLog(o.logRuns);
    this.snapshotIndex = o.snapshotIndex;
    this.reads = new ReadRounds({
      nextId: o.requestId,
      send: (ctx) => {
        if (this.stopped || this.fatal) return;
        this.o.node.readIndex(ctx);
        this.schedule();
      },
      timeoutMs: 5000 + 2 * o.electionMs,
      onSlow: () => o.stats.slowReadIndex(),
      onFailed: () => o.stats.readIndexFailed(),
    });
    this.heartbeats = new HeartbeatDetector(o.heartbeatMs, o.log, () => o.stats.heartbeatSendFailed());
    const fail = (e: Error, what: string): void => this.fail(e, what);
    this.writer = new BatchWriter({ db: o.db, busy: () => this.running, onError: fail, landed: o.stateMachine, stats: o.stats });
    const st = o.node.basicStatus();
    this.term = st.term;
    this.vote = st.vote;
    this.lead = st.lead;
    this.commitIndex = st.commit;
  }

  start(): void {
    this.ticker = setInterval(() => {
      if (this.stopped) return;
      this.o.node.tick();
      this.schedule();
    }, this.o.heartbeatMs);
    this.ticker.unref?.();
    this.schedule();
  }

  /** Stops ticking and waits for the Ready in progress and every write to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    while (this.running) await new Promise((r) => setImmediate(r));
    this.writer.cancelIdle();
    this.writer.flush(); // nothing after a failure: the in-memory state may be half applied
    await this.writer.drained();
    this.reads.failAll(new EtcdError('Stopped'));
  }

  private soloCampaign = false;

  /**
   * Once the configuration is applied (after bootstrap or replay), campaigns at once if this
   * member is the only voter: a lone voter need not wait for its election timeout.
   */
  campaignIfSoleVoter(): void {
    this.soloCampaign = true;
    this.schedule();
  }

  private maybeSoloCampaign(): void {
    if (!this.soloCampaign) return;
    const v = this.confState.voters;
    const self = this.o.node.basicStatus().id;
    if (v.length === 0) return; // configuration not applied yet
    this.soloCampaign = false;
    if (v.length === 1 && v[0] === self && this.lead === 0n) this.o.node.campaign();
  }

  get isLeader(): boolean {
    return this.lead !== 0n && this.lead === this.o.node.basicStatus().id;
  }

  /** Proposes entry data; the caller's waiter learns the outcome at apply. */
  propose(data: Uint8Array): void {
    this.submit(() => this.o.node.propose(data));
  }

  /** Proposes a membership change; the applier learns the outcome. */
  proposeConfChange(cc: ConfChange): void {
    this.submit(() => this.o.node.proposeConfChange(cc));
  }

  /** Hands a proposal to Raft; with no leader (or a transfer under way) it is NoLeader. */
  private submit(propose: () => void): void {
    this.checkUsable();
    if (this.lead === 0n) throw new EtcdError('NoLeader');
    try {
      propose();
    } catch (e) {
      throw new EtcdError('NoLeader', (e as Error).message);
    }
    this.schedule();
  }

  /** Asks Raft to hand leadership to `to` (MoveLeader). */
  transferLeader(to: bigint): void {
    this.checkUsable();
    this.o.node.transferLeader(to);
    this.schedule();
  }

  /** The term of a log index this member holds (applied entries always are). */
  termAt(index: number): number {
    return this.o.storage.term(index);
  }

  /** Raft's status, with follower progress on the leader. */
  status(): Status {
    return this.o.node.status();
  }

  reportUnreachable(id: bigint): void {
    if (this.stopped) return;
    this.o.node.reportUnreachable(id);
    this.schedule();
  }

  reportSnapshot(id: bigint, status: 'finish' | 'failure'): void {
    if (this.stopped) return;
    this.o.node.reportSnapshot(id, status);
    this.schedule();
  }

  /** Delivers a message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    try {
      this.o.node.step(m);
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message, from: m.from.toString(16) }, 'dropped raft message');
    }
    this.schedule();
  }

  /**
   * Resolves once this member has applied everything committed when the call was made, as
   * confirmed by a ReadIndex round (etcd's linearizableReadNotify). Calls arriving before a round
   * is issued share it.
   */
  linearizableBarrier(): Promise<void> {
    this.checkUsable();
    if (this.lead === 0n) return Promise.reject(new EtcdError('NoLeader'));
    const p = this.reads.enqueue();
    this.schedule();
    return p;
  }

  /** Resolves when the applied index reaches `index`. */
  waitApplied(index: number): Promise<void> {
    return this.applyWaiters.wait(index, this.appliedIndex);
  }

  private checkUsable(): void {
    if (this.stopped) throw new EtcdError('Stopped');
    if (this.fatal) throw new EtcdError('Stopped', this.fatal.message);
  }

  private issueReadRound(): void {
    const ctx = this.reads.issue();
    if (ctx !== undefined) this.o.node.readIndex(ctx);
  }

  schedule(): void {
    if (this.scheduled || this.running || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running || this.fatal || this.stopped) return;
    this.running = true;
    try {
      this.maybeSoloCampaign();
      this.issueReadRound();
      while (!this.stopped && !this.fatal && this.o.node.hasReady()) {
        await this.processReady(this.o.node.ready());
        // One turn first: requests readable as the write landed join the next batch; others run.
        if (this.writer.holdsMany || this.o.node.hasReady()) await this.writer.turn();
        this.maybeSoloCampaign();
        this.issueReadRound();
      }
      this.writer.flushSoon();
    } catch (e) {
      this.fail(e as Error, 'raft loop failed');
    } finally {
      this.running = false;
    }
    if (!this.fatal && (this.o.node.hasReady() || this.reads.waiting)) this.schedule();
  }

  /** The loop's one way to fail (also for storage faults found elsewhere): logged, then onFatal; no writes after. */
  fail(e: Error, what: string): void {
    if (this.fatal) return;
    this.fatal = e;
    const fields: Record<string, unknown> = { err: e.message, stack: e.stack, 'applied-index': this.appliedIndex };
    if (e instanceof ApplyError) {
      fields.index = e.index;
      fields.cause = (e.cause as Error)?.stack ?? String(e.cause);
    }
    this.o.log.fatal(fields, `${what}; member stops serving`);
    if (this.ticker) clearInterval(this.ticker);
    this.writer.stopWriting(e);
    this.reads.failAll(new EtcdError('Stopped', e.message));
    this.onFatal?.(e);
  }

  /** The error the loop failed with, if it did. */
  get failure(): Error | undefined {
    return this.fatal;
  }

  private async processReady(rd: Ready): Promise<void> {
    const o = this.o;
    if (rd.softState) {
      this.leading = rd.softState.raftState === 'StateLeader';
      const lead = rd.softState.lead;
      if (lead !== this.lead) {
        this.lead = lead;
        if (lead !== 0n) this.leaderChangesSeen++;
        if (lead !== 0n) this.reads.leaderChanged();
        this.heartbeats.reset();
        o.log.info({ leader: lead.toString(16), term: rd.hardState?.term ?? this.term }, lead === 0n ? 'lost leader' : 'elected leader');
        this.onLeaderChange?.(lead, rd.hardState?.term ?? this.term);
      }
    }
    // 1. One batch: the previous Ready's applied effects (large ones go ahead on their own), the
    //    snapshot (if any), the new entries and the hard state; synced when Raft requires it.
    const ops: BatchOp[] = this.writer.takeForReady();
    let install: ReturnType<StateMachine['prepareInstall']> | undefined;
    const snap = rd.snapshot !== undefined && !isEmptySnapshot(rd.snapshot) ? rd.snapshot : undefined;
    if (snap) {
      const started = performance.now();
      install = o.stateMachine.prepareInstall(snap.data);
      for (const op of install.ops) ops.push(op);
      const meta = { index: snap.metadata.index, term: snap.metadata.term, confState: snap.metadata.confState };
      this.disk.installSnapshot(ops, meta, Math.max(install.appliedIndex, snap.metadata.index));
      o.log.info(
        {
          index: snap.metadata.index,
          term: snap.metadata.term,
          bytes: snap.data.length,
          records: install.ops.length,
          prepareMs: Math.round(performance.now() - started),
        },
        'installing snapshot from leader',
      );
    }
    this.disk.append(ops, rd.entries);
    if (rd.hardState) this.disk.hardState(ops, rd.hardState);
    const sendFirst = sendsBeforeWrite(rd, this.leading, this.term, this.vote, snap !== undefined);
    if (sendFirst) this.send(rd.messages);
    if (ops.length > 0) await this.writer.write(ops, o.fsync && rd.mustSync);

    // 2. Then make it visible: Raft storage, the installed snapshot, and send.
    if (snap && install) {
      o.storage.applySnapshot({ data: new Uint8Array(0), metadata: snap.metadata });
      install.commit();
      this.appliedIndex = Math.max(install.appliedIndex, snap.metadata.index);
      this.snapshotIndex = snap.metadata.index;
      this.confState = snap.metadata.confState;
      o.log.info({ index: snap.metadata.index, applied: this.appliedIndex }, 'installed snapshot from leader');
    }
    if (rd.entries.length > 0) o.storage.append(rd.entries);
    if (rd.hardState) {
      o.storage.setHardState(rd.hardState);
      if (rd.hardState.term !== this.term) {
        this.term = rd.hardState.term;
        this.onLeaderChange?.(this.lead, this.term);
      }
      this.vote = rd.hardState.vote;
      this.commitIndex = rd.hardState.commit;
    }
    if (!sendFirst) this.send(rd.messages);

    // 3. Apply committed entries (all durable in this member's log by now) and answer their
    //    proposers. Their effects and the applied index go into the next batch, together.
    const appliedBefore = this.appliedIndex;
    for (const e of rd.committedEntries) {
      // After a restart Raft replays from its snapshot; entries whose effects are already in
      // the store (index <= the persisted applied index) only re-apply membership changes.
      if (e.index > this.appliedIndex) {
        const t0 = performance.now();
        o.stateMachine.applyEntry(e);
        if (performance.now() - t0 > SLOW_APPLY_MS) o.stats.slowApply();
        this.appliedIndex = e.index;
      } else if (e.type !== EntryType.EntryNormal) {
        o.stateMachine.applyEntry(e);
      }
    }
    if (this.appliedIndex > appliedBefore || snap) {
      const applyOps = o.stateMachine.drainWrites();
      DiskLog.applied(applyOps, this.appliedIndex);
      this.writer.hold(applyOps);
      o.stateMachine.releaseAcks();
      this.applyWaiters.advance(this.appliedIndex);
      this.maybeCompactLog();
    }

    // 4. Read states, then advance.
    for (const rs of rd.readStates) this.reads.answer(rs.requestCtx, this.applyWaiters.wait(rs.index, this.appliedIndex));
    o.node.advance(rd);
  }

  private send(msgs: Message[]): void {
    if (msgs.length === 0 || this.sendMessages === undefined) return;
    this.heartbeats.observe(msgs);
    this.sendMessages(msgs);
  }

  /** Every `snapshotCount` applied entries: a snapshot point (snapshot-point.ts). */
  private maybeCompactLog(): void {
    if (this.appliedIndex - this.snapshotIndex < this.o.snapshotCount) return;
    saveSnapshotPoint(this.o, this.disk, this.writer, this.appliedIndex, this.confState);
    this.snapshotIndex = this.appliedIndex;
  }
}
