/**
 * Range execution (etcd's txn.executeRange over mvcc rangeKeys): revision checks, limit+1
 * fetch, min/max filters, sort, truncation, keys_only and count_only.
 */
import { EtcdError } from '../errors';
import type { Engine } from './engine';
import type { KeySpan, KvIndex } from './kv-index';
import { toSpan } from './kv-index';
import type { KeyValue, RangeRequest, RangeResponse, SortOrder, SortTarget } from './types';
import { EMPTY_BUFFER } from './types';

const ORDERS: readonly SortOrder[] = ['NONE', 'ASCEND', 'DESCEND'];
const TARGETS: readonly SortTarget[] = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];

/** Normalizes a sort order given by name or enum number; undefined when unknown. */
export function sortOrderOf(v: SortOrder | number | undefined): SortOrder | undefined {
  if (v === undefined) return 'NONE';
  if (typeof v === 'number') return ORDERS[v];
  return ORDERS.includes(v) ? v : undefined;
}

export function sortTargetOf(v: SortTarget | number | undefined): SortTarget | undefined {
  if (v === undefined) return 'KEY';
  if (typeof v === 'number') return TARGETS[v];
  return TARGETS.includes(v) ? v : undefined;
}

/** A consistent read view: the index, the engine and the revisions the reader sees. */
export interface ReadView {
  readonly index: KvIndex;
  readonly engine: Engine;
  /** Current revision of this view (inside a write txn: +1 once it changed something). */
  readonly rev: number;
  readonly compactRev: number;
}

/** Throws FutureRev/Compacted like etcd's rangeKeys; returns the revision to read at. */
export function readRevision(view: ReadView, requested: number | undefined): number {
  const r = requested ?? 0;
  if (r > view.rev) throw new EtcdError('FutureRev');
  const at = r <= 0 ? view.rev : r;
  if (at < view.compactRev) throw new EtcdError('Compacted');
  return at;
}

export interface RangeKeysResult {
  kvs: KeyValue[];
  count: number;
}

/**
 * The keys of `span` alive at `atRev`: up to `limit` values (limit <= 0: all) and the total
 * count. With countOnly nothing is read from the engine; with keysOnly the KeyValues have empty
 * values and only keys whose metadata is not in the index (older revisions) read the engine.
 */
export function rangeKeys(
  view: ReadView,
  span: KeySpan,
  atRev: number,
  limit: number,
  countOnly: boolean,
  keysOnly = false,
): RangeKeysResult {
  const kvs: KeyValue[] = [];
  let count = 0;
  const engine = view.engine;
  view.index.visit(span, (ki) => {
    if (countOnly || (limit > 0 && kvs.length >= limit)) {
      if (ki.existsAt(atRev)) count++;
      return;
    }
    const kv = keysOnly ? ki.metaAt(atRev, engine, EMPTY_BUFFER) : ki.kvAt(atRev, engine);
    if (kv !== undefined) {
      count++;
      kvs.push(kv);
    }
  });
  return { kvs, count };
}

function comparatorFor(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  switch (target) {
    case 'KEY':
      return (a, b) => Buffer.compare(a.key, b.key);
    case 'VERSION':
      return (a, b) => a.version - b.version;
    case 'CREATE':
      return (a, b) => a.create_revision - b.create_revision;
    case 'MOD':
      return (a, b) => a.mod_revision - b.mod_revision;
    case 'VALUE':
      return (a, b) => Buffer.compare(a.value, b.value);
  }
}

/** etcd's executeRange. The response revision is the view's current revision. */
export function executeRange(view: ReadView, req: RangeRequest): RangeResponse {
  const atRev = readRevision(view, req.revision);
  const reqLimit = req.limit ?? 0;
  const sentOrder = sortOrderOf(req.sort_order) ?? 'NONE';
  const target = sortTargetOf(req.sort_target) ?? 'KEY';
  const minMod = req.min_mod_revision ?? 0;
  const maxMod = req.max_mod_revision ?? 0;
  const minCreate = req.min_create_revision ?? 0;
  const maxCreate = req.max_create_revision ?? 0;
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;

  let fetchLimit = reqLimit;
  if (sentOrder !== 'NONE' || filtered) fetchLimit = 0;
  if (fetchLimit > 0) fetchLimit++;

  const countOnly = req.count_only === true;
  const keysOnly = req.keys_only === true && target !== 'VALUE';
  const rr = rangeKeys(view, toSpan(req.key, req.range_end), atRev, fetchLimit, countOnly, keysOnly);
  let kvs = rr.kvs;

  if (filtered) {
    kvs = kvs.filter(
      (kv) =>
        !(maxMod !== 0 && kv.mod_revision > maxMod) &&
        !(minMod !== 0 && kv.mod_revision < minMod) &&
        !(maxCreate !== 0 && kv.create_revision > maxCreate) &&
        !(minCreate !== 0 && kv.create_revision < minCreate),
    );
  }

  let order = sentOrder;
  if (target !== 'KEY' && order === 'NONE') order = 'ASCEND';
  else if (target === 'KEY' && order === 'ASCEND') order = 'NONE';
  if (order !== 'NONE' && kvs.length > 1) {
    const cmp = comparatorFor(target);
    kvs.sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
  }

  let more = false;
  if (reqLimit > 0 && kvs.length > reqLimit) {
    kvs.length = reqLimit;
    more = true;
  }
  if (req.keys_only === true && !keysOnly) {
    kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BUFFER }));
  }
  return { revision: view.rev, kvs, more, count: rr.count };
}

/** What a streamed range reports besides its KeyValues. */
export interface RangeSummary {
  revision: number;
  more: boolean;
  count: number;
}

/** The revisions a range answers with, in key order, before any value is read. */
export interface RangePlan {
  summary: RangeSummary;
  /** [main, sub, main, sub, ...] of each KeyValue to send, in key order. */
  revisions: number[];
}

/** Whether {@link streamRange} / {@link planRange} can answer the request (no sort, no filters). */
function streamable(req: RangeRequest): boolean {
  const order = sortOrderOf(req.sort_order) ?? 'NONE';
  const target = sortTargetOf(req.sort_target) ?? 'KEY';
  if (target !== 'KEY' || order === 'DESCEND') return false;
  if ((req.min_mod_revision ?? 0) !== 0 || (req.max_mod_revision ?? 0) !== 0) return false;
  return (req.min_create_revision ?? 0) === 0 && (req.max_create_revision ?? 0) === 0;
}

/**
 * The revisions a streamable range (see {@link streamRange}) would send, without reading a value:
 * the caller reads the records (all of one revision, key, value) in whatever order suits the
 * engine. Undefined for requests that need sorting or filters, and for keys_only / count_only
 * ones (streamRange answers those from the index alone).
 */
export function planRange(view: ReadView, req: RangeRequest): RangePlan | undefined {
  if (!streamable(req) || req.keys_only === true || req.count_only === true) return undefined;
  const atRev = readRevision(view, req.revision);
  const limit = req.limit ?? 0;
  const revisions: number[] = [];
  let count = 0;
  view.index.visit(toSpan(req.key, req.range_end), (ki) => {
    if (limit > 0 && count >= limit) {
      if (ki.existsAt(atRev)) count++;
      return;
    }
    if (ki.revisionAt(atRev, revisions, revisions.length)) count++;
  });
  return { summary: { revision: view.rev, more: limit > 0 && count > limit, count }, revisions };
}

/**
 * Where a streamed range sends its KeyValues: `kv` for each decoded KeyValue; with `record`, the
 * KeyValues read from the engine go there instead as their raw records (mvcc/codec.ts layout),
 * for an encoder that copies the fields straight from them (keys-only ones still go to `kv`).
 */
export interface RangeSink {
  kv(kv: KeyValue): void;
  record?(rec: Uint8Array): void;
}

/**
 * The same answer as {@link executeRange}, streamed: each KeyValue goes to `sink` in key order as
 * it is read (nothing collects them), for requests that need no sort and no min/max filter.
 * Returns undefined, having read nothing, for the others.
 */
export function streamRange(view: ReadView, req: RangeRequest, sink: RangeSink): RangeSummary | undefined {
  if (!streamable(req)) return undefined;
  const atRev = readRevision(view, req.revision);
  const limit = req.limit ?? 0;
  const countOnly = req.count_only === true;
  const keysOnly = req.keys_only === true;
  const raw = !keysOnly && sink.record !== undefined;
  const engine = view.engine;
  let count = 0;
  let sent = 0;
  view.index.visit(toSpan(req.key, req.range_end), (ki) => {
    if (countOnly || (limit > 0 && sent >= limit)) {
      if (ki.existsAt(atRev)) count++;
      return;
    }
    if (raw) {
      const rec = ki.recordAt(atRev, engine);
      if (rec === undefined) return;
      sink.record!(rec);
    } else {
      const kv = keysOnly ? ki.metaAt(atRev, engine, EMPTY_BUFFER) : ki.kvAt(atRev, engine);
      if (kv === undefined) return;
      sink.kv(kv);
    }
    count++;
    sent++;
  });
  return { revision: view.rev, more: limit > 0 && count > limit, count };
}
