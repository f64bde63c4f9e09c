/**
 * One write transaction: every change it makes gets main revision beginRev+1 and consecutive
 * sub revisions (etcd's storeTxnWrite). Changes go to the index and engine immediately, so
 * reads through this txn (it is a {@link ReadView}) see its own writes. With `undoable`, every
 * change also records how to revert it, and {@link WriteTxn.rollback} restores the exact prior
 * state of index and engine (used by Txn, whose later ops may still fail).
 */
import type { Engine } from './engine';
import { encodeLiveRecord, encodeRecord, encodeTombstone, encodeTombstoneRecord } from './codec';
import type { KeyIndex } from './key-index';
import type { KeySpan, KvIndex } from './kv-index';
import { keyStr } from './kv-index';
import type { ReadView } from './range';
import type { Event, KeyValue } from './types';
import { EMPTY_BUFFER } from './types';

export class WriteTxn implements ReadView {
  readonly index: KvIndex;
  readonly engine: Engine;
  readonly compactRev: number;
  readonly beginRev: number;
  /** Events of the new revision, in op order. */
  readonly events: Event[] = [];
  private subs = 0;
  private readonly undoLog: (() => void)[] | undefined;

  /**
   * Whether every change gets its event. When false (nobody watches), only the changes of keys
   * that had or get a lease do: the lessor follows those (StoreHooks.eventsWanted).
   */
  private readonly allEvents: boolean;

  constructor(index: KvIndex, engine: Engine, beginRev: number, compactRev: number, undoable: boolean, allEvents = true) {
    this.index = index;
    this.engine = engine;
    this.beginRev = beginRev;
    this.compactRev = compactRev;
    this.undoLog = undoable ? [] : undefined;
    this.allEvents = allEvents;
  }

  /** The revision this txn reads at: beginRev, or beginRev+1 once it changed something. */
  get rev(): number {
    return this.subs > 0 ? this.beginRev + 1 : this.beginRev;
  }

  get changed(): boolean {
    return this.subs > 0;
  }

  /**
   * Writes key=value with the given lease. Reads no value: the previous create revision, version
   * and lease come from the index (etcd's put reads them from its treeIndex and lessor too).
   * Returns the new revision.
   */
  put(key: Buffer, value: Buffer, lease: bigint): number {
    const main = this.beginRev + 1;
    const sub = this.subs++;
    const k = keyStr(key);
    const existing = this.index.get(k);
    const live = existing !== undefined && existing.isLive();
    const input: KeyValue = {
      key,
      create_revision: live ? existing.create : main,
      mod_revision: main,
      version: live ? existing.version + 1 : 1,
      value,
      lease,
    };
    const ki = existing ?? this.index.getOrAdd(k); // a new key: one descent of the tree
    const meta = ki.meta();
    if (this.allEvents || lease !== 0n || (live && meta.lease !== 0n)) {
      const { rec, kv } = encodeLiveRecord(input); // kv's buffers are views into the record: the events pin no request buffer
      this.engine.putRevision(main, sub, rec);
      this.events.push(live ? { type: 'PUT', kv, prev_lease: meta.lease } : { type: 'PUT', kv });
    } else {
      this.engine.putRevision(main, sub, encodeRecord(input, false));
    }
    ki.put(main, sub, input.create_revision, input.version, lease);
    if (existing !== undefined) this.index.compactable.add(ki);
    if (!live) this.index.liveKeys++;
    if (this.undoLog !== undefined) {
      this.undoLog.push(() => {
        this.engine.delRevision(main, sub);
        ki.unput(meta);
        if (!live) this.index.liveKeys--;
        if (existing === undefined) this.index.remove(ki);
      });
    }
    return main;
  }

  /** The live KeyIndexes of a span (at this txn's newest state). */
  liveIn(span: KeySpan): KeyIndex[] {
    const out: KeyIndex[] = [];
    this.index.visit(span, (ki) => {
      if (ki.isLive()) out.push(ki);
    });
    return out;
  }

  /**
   * Deletes the given live keys. With `withPrev`, returns their previous KeyValues (read from the
   * engine); without, reads no value and returns an empty array.
   */
  deleteKeys(kis: readonly KeyIndex[], withPrev: boolean): KeyValue[] {
    const prevs: KeyValue[] = [];
    for (const ki of kis) {
      if (withPrev) prevs.push(ki.latest(this.engine));
      const main = this.beginRev + 1;
      const sub = this.subs++;
      const meta = ki.meta();
      if (this.allEvents || meta.lease !== 0n) {
        const { rec, key } = encodeTombstone(ki.k, main);
        this.engine.putRevision(main, sub, rec);
        const kv: KeyValue = { key, create_revision: 0, mod_revision: main, version: 0, value: EMPTY_BUFFER, lease: 0n };
        this.events.push({ type: 'DELETE', kv, prev_lease: meta.lease });
      } else {
        this.engine.putRevision(main, sub, encodeTombstoneRecord(ki.k, main));
      }
      ki.tombstone(main, sub);
      this.index.compactable.add(ki);
      this.index.liveKeys--;
      if (this.undoLog !== undefined) {
        this.undoLog.push(() => {
          this.engine.delRevision(main, sub);
          ki.untombstone(meta);
          this.index.liveKeys++;
        });
      }
    }
    return prevs;
  }

  /** Reverts every change, newest first. Only for undoable txns. */
  rollback(): void {
    const log = this.undoLog;
    if (log === undefined) throw new Error('mvcc: rollback of a non-undoable write txn');
    for (let i = log.length - 1; i >= 0; i--) log[i]!();
    log.length = 0;
    this.events.length = 0;
    this.subs = 0;
  }
}
