/**
 * The multi-version key-value store (etcd's mvcc store + the apply logic of etcdserver/txn).
 *
 * State: an in-memory index (key -> its retained revisions and the newest put's create
 * revision, version and lease; no value) over an {@link Engine} that holds every revision record
 * and the compact revision. Values are read from the engine when a read needs them. Constructing
 * a store over an engine that already holds data rebuilds the index and the current/compact
 * revisions from the engine alone, or from the revision headers the caller read (IndexLoader).
 *
 * Every method either completes or throws an EtcdError leaving the engine and the store exactly
 * as they were. Memory: one KeyIndex per key (its string, a few numbers, an array only for a
 * key with several retained revisions). Measured in-process with the LevelDB engine, 1,000,000
 * keys of 17 bytes: about 90 bytes per key, the tree included.
 */
import { EtcdError } from '../errors';
import { computeHash } from './hash';
import type { Engine } from './engine';
import { decodeCompactRev, encodeCompactRev, META_COMPACT, META_COMPACTING } from './codec';
import { Compaction, isKept } from './compaction';
import { encodeIndexImage } from './index-image';
import { eventsInRange } from './history';
import type { KeyIndex } from './key-index';
import { keyStr, KvIndex } from './kv-index';
import { executeRange, planRange, streamRange, type RangePlan, type RangeSink, type RangeSummary, type ReadView } from './range';
import { executeDeleteRange, executePut, toLease } from './ops';
import { IndexLoader, restoreIndex, type RevisionHeader } from './restore';
import { executeTxn } from './txn';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  HashKVResult,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WriteResult,
} from './types';
import { WriteTxn } from './write-txn';

export interface StoreHooks {
  /** Whether a lease exists. Absent hook: no lease exists (any lease != 0 is LeaseNotFound). */
  leaseExists?(id: bigint): boolean;
  /**
   * Whether anyone takes every event of the next write (synced watchers). When false, a write's
   * result carries only the events whose key had or gets a lease (the lessor follows those), so
   * a large DeleteRange builds no KeyValue and event per key for nobody. Absent hook: all events.
   */
  eventsWanted?(): boolean;
}

export class MvccStore {
  private readonly engine: Engine;
  private readonly index: KvIndex;
  private readonly hooks: StoreHooks;
  private rev = 1;
  /** -1 until the first compaction, like etcd's compactMainRev. */
  private compactRev = -1;
  private readonly compaction: Compaction;

  /**
   * `headers`: the engine's revision records in revision order, values optional (see
   * restoreIndex); default: scanned from the engine.
   */
  constructor(engine: Engine, hooks: StoreHooks = {}, headers?: Iterable<RevisionHeader> | IndexLoader) {
    this.engine = engine;
    this.hooks = hooks;
    const r = restoreIndex(engine, headers);
    this.index = r.index;
    this.rev = r.rev;
    this.compactRev = r.compactRev;
    const unfinished = engine.get(META_COMPACTING);
    // A compaction whose deletes did not all land: its dropped revisions are found again.
    this.compaction = new Compaction(this.index, engine);
    if (unfinished !== undefined) {
      const all: KeyIndex[] = [];
      this.index.forEach((_k, ki) => all.push(ki));
      this.compaction.start(decodeCompactRev(unfinished), all);
    }
  }

  /** The store revision: 1 when fresh, +1 per write that changed something. */
  get currentRevision(): number {
    return this.rev;
  }

  /** The last compaction revision, -1 if never compacted. */
  get compactRevision(): number {
    return this.compactRev;
  }

  /** Number of live keys at the current revision. */
  get keyCount(): number {
    return this.index.liveKeys;
  }

  /** Whether a lease exists according to the hook. */
  leaseExists(id: bigint): boolean {
    return this.hooks.leaseExists !== undefined && this.hooks.leaseExists(id);
  }

  private view(): ReadView {
    return { index: this.index, engine: this.engine, rev: this.rev, compactRev: this.compactRev };
  }

  private begin(undoable: boolean): WriteTxn {
    const allEvents = this.hooks.eventsWanted === undefined || this.hooks.eventsWanted();
    return new WriteTxn(this.index, this.engine, this.rev, this.compactRev, undoable, allEvents);
  }

  private commit<R>(tw: WriteTxn, response: R): WriteResult<R> {
    if (tw.changed) this.rev++;
    return { response, events: tw.events };
  }

  range(req: RangeRequest): RangeResponse {
    return executeRange(this.view(), req);
  }

  /** The revisions {@link range} would answer with, values unread (see planRange). */
  planRange(req: RangeRequest): RangePlan | undefined {
    return planRange(this.view(), req);
  }

  /** {@link range} streamed to `sink` (see streamRange); undefined when the request needs sorting or filters. */
  rangeStream(req: RangeRequest, sink: RangeSink): RangeSummary | undefined {
    return streamRange(this.view(), req, sink);
  }

  put(req: PutRequest): WriteResult<PutResponse> {
    const lease = toLease(req.lease);
    if (lease !== 0n && !this.leaseExists(lease)) throw new EtcdError('LeaseNotFound');
    const tw = this.begin(false);
    // executePut throws (KeyNotFound) only before writing anything.
    return this.commit(tw, executePut(tw, req));
  }

  deleteRange(req: DeleteRangeRequest): WriteResult<DeleteRangeResponse> {
    const tw = this.begin(false);
    return this.commit(tw, executeDeleteRange(tw, req));
  }

  /**
   * Deletes several exact keys in one revision (lease revocation). Missing keys are skipped. Reads
   * no value: the response carries no prev_kvs.
   */
  deleteKeys(keys: readonly Buffer[]): WriteResult<DeleteRangeResponse> {
    const tw = this.begin(false);
    const seen = new Set<string>();
    const kis: KeyIndex[] = [];
    for (const key of keys) {
      const k = keyStr(key);
      if (seen.has(k)) continue;
      seen.add(k);
      const ki = this.index.get(k);
      if (ki !== undefined && ki.isLive()) kis.push(ki);
    }
    tw.deleteKeys(kis, false);
    const revision = kis.length > 0 ? tw.beginRev + 1 : tw.beginRev;
    return this.commit(tw, { revision, deleted: kis.length, prev_kvs: [] });
  }

  /** A Txn; read-only txns work too and bump nothing. */
  txn(req: TxnRequest): WriteResult<TxnResponse> {
    const pre = this.view();
    const tw = this.begin(true);
    let response: TxnResponse;
    try {
      response = executeTxn(pre, tw, req, (id) => this.leaseExists(id));
    } catch (e) {
      tw.rollback();
      throw e;
    }
    return this.commit(tw, response);
  }

  /**
   * Compacts at rev (etcd's Compact): reads below rev fail from now on. The index is trimmed and
   * the records no longer needed deleted here, or, with `inSteps`, by {@link compactStep}
   * (compaction.ts), so a large compaction does not hold the caller for long. The current
   * revision is unchanged.
   */
  compact(rev: number, inSteps = false): void {
    if (rev <= this.compactRev) throw new EtcdError('Compacted');
    if (rev > this.rev) throw new EtcdError('FutureRev');
    this.engine.put(META_COMPACT, encodeCompactRev(rev));
    this.compactRev = rev;
    this.compaction.start(rev, this.index.compactable.values());
    if (!inSteps) this.compaction.step(Infinity);
  }

  /** Keys left to trim and records left to delete after compactions applied in steps. */
  get compactionBacklog(): number {
    return this.compaction.pending;
  }

  /**
   * The index as an image (index-image.ts), or undefined while a compaction is unfinished (its
   * trimmed index no longer matches the records still stored).
   */
  indexImage(): Buffer | undefined {
    return this.compaction.pending > 0 ? undefined : encodeIndexImage(this.index);
  }

  /** Does up to `max` units of a compaction's remaining work; returns what is left. */
  compactStep(max: number): number {
    return this.compaction.step(max);
  }

  /**
   * Hash of the store's kept revisions up to rev (0 = current), with the compact revision:
   * members with the same history give the same hash.
   */
  hashKV(rev: number): HashKVResult {
    const at = rev === 0 ? this.rev : rev;
    if (rev > 0 && rev < this.compactRev) throw new EtcdError('Compacted');
    if (at > this.rev) throw new EtcdError('FutureRev');
    const kept = (key: string, main: number, sub: number): boolean => isKept(this.index.get(key), this.compactRev, main, sub);
    return { hash: computeHash(this.engine, this.compactRev, at, kept), compactRevision: this.compactRev, hashRevision: at };
  }

  /**
   * Every event with fromRev <= revision <= toRev (default: current), in revision order, read
   * from the engine (for watchers catching up). prev_kv is filled like etcd's watch server
   * does (a read at revision-1) when that revision is not compacted. Throws Compacted when
   * fromRev < compactRevision; toRev is clamped to the current revision. Like etcd, the
   * compact revision itself keeps only one record per key: if a txn at exactly that revision
   * wrote a key twice, only its last change is still there.
   */
  events(fromRev: number, toRev: number = this.rev): Event[] {
    if (fromRev < this.compactRev) throw new EtcdError('Compacted');
    const from = Math.max(1, fromRev);
    const to = Math.min(toRev, this.rev);
    const out: Event[] = [];
    for (const ev of eventsInRange(this.engine, from, to, () => true)) {
      const main = ev.kv.mod_revision;
      if (main - 1 >= this.compactRev && main - 1 >= 1) {
        const prev = this.index.get(keyStr(ev.kv.key))?.kvAt(main - 1, this.engine);
        if (prev !== undefined) ev.prev_kv = prev;
      }
      out.push(ev);
    }
    return out;
  }

  /**
   * Calls fn with every live key (latin1) and its lease, in key order (e.g. lease re-attach at
   * boot). Reads no value.
   */
  forEachLiveLease(fn: (key: string, lease: bigint) => void): void {
    this.index.forEach((k, ki) => {
      if (ki.isLive()) fn(k, ki.lease);
    });
  }
}
