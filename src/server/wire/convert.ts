/**
 * Conversions between the wire shapes proto-loader produces (64-bit integers as decimal strings,
 * enums as names) and the MVCC core's shapes (revisions as numbers, lease ids as bigint).
 * Response objects from the core pass to the encoder almost as they are: the encoder accepts
 * numbers and bigints for 64-bit fields.
 */
import type * as mvcc from '../../mvcc';

/** proto-loader's decoded objects: every field present (defaults: true). */
export type Wire = Record<string, unknown>;

const num = (v: unknown): number => (v === undefined || v === null || v === '' ? 0 : Number(v));
const big = (v: unknown): bigint => (v === undefined || v === null || v === '' ? 0n : BigInt(v as string));
const buf = (v: unknown): Buffer => (v as Buffer | undefined) ?? Buffer.alloc(0);

export function rangeFromWire(w: Wire): mvcc.RangeRequest {
  return {
    key: buf(w.key),
    range_end: buf(w.range_end),
    limit: num(w.limit),
    revision: num(w.revision),
    sort_order: w.sort_order as mvcc.SortOrder | number,
    sort_target: w.sort_target as mvcc.SortTarget | number,
    serializable: w.serializable === true,
    keys_only: w.keys_only === true,
    count_only: w.count_only === true,
    min_mod_revision: num(w.min_mod_revision),
    max_mod_revision: num(w.max_mod_revision),
    min_create_revision: num(w.min_create_revision),
    max_create_revision: num(w.max_create_revision),
  };
}

export function putFromWire(w: Wire): mvcc.PutRequest {
  return {
    key: buf(w.key),
    value: buf(w.value),
    lease: big(w.lease),
    prev_kv: w.prev_kv === true,
    ignore_value: w.ignore_value === true,
    ignore_lease: w.ignore_lease === true,
  };
}

export function deleteRangeFromWire(w: Wire): mvcc.DeleteRangeRequest {
  return { key: buf(w.key), range_end: buf(w.range_end), prev_kv: w.prev_kv === true };
}

function compareFromWire(w: Wire): mvcc.Compare {
  const c: mvcc.Compare = {
    result: w.result as mvcc.CompareResult | number,
    target: w.target as mvcc.CompareTarget | number,
    key: buf(w.key),
    range_end: buf(w.range_end),
  };
  const u = w.target_union as mvcc.CompareUnion | undefined;
  if (u !== undefined && u !== null) {
    c.target_union = u;
    if (u === 'value') c.value = buf(w.value);
    else if (u === 'lease') c.lease = big(w.lease);
    else c[u] = num(w[u]);
  }
  return c;
}

function opFromWire(w: Wire): mvcc.RequestOp {
  const which = w.request as mvcc.RequestOp['request'] | null | undefined;
  switch (which) {
    case 'request_range':
      return { request: which, request_range: rangeFromWire(w.request_range as Wire) };
    case 'request_put':
      return { request: which, request_put: putFromWire(w.request_put as Wire) };
    case 'request_delete_range':
      return { request: which, request_delete_range: deleteRangeFromWire(w.request_delete_range as Wire) };
    case 'request_txn':
      return { request: which, request_txn: txnFromWire(w.request_txn as Wire) };
    default:
      return {};
  }
}

export function txnFromWire(w: Wire): mvcc.TxnRequest {
  return {
    compare: ((w.compare as Wire[] | undefined) ?? []).map(compareFromWire),
    success: ((w.success as Wire[] | undefined) ?? []).map(opFromWire),
    failure: ((w.failure as Wire[] | undefined) ?? []).map(opFromWire),
  };
}

/** The wire ResponseHeader. 64-bit ids are precomputed decimal strings. */
export interface Header {
  cluster_id: string;
  member_id: string;
  revision: number;
  raft_term: number;
}

export function rangeToWire(r: mvcc.RangeResponse, header: object): Wire {
  return { header, kvs: r.kvs, more: r.more, count: r.count };
}

export function putToWire(r: mvcc.PutResponse, header: object): Wire {
  return r.prev_kv === undefined ? { header } : { header, prev_kv: r.prev_kv };
}

export function deleteRangeToWire(r: mvcc.DeleteRangeResponse, header: object): Wire {
  return { header, deleted: r.deleted, prev_kvs: r.prev_kvs };
}

/** Nested responses carry a header with only their revision set, as etcd's do. */
function responseOpToWire(op: mvcc.ResponseOp): Wire {
  switch (op.response) {
    case 'response_range':
      return { response_range: rangeToWire(op.response_range!, { revision: op.response_range!.revision }) };
    case 'response_put':
      return { response_put: putToWire(op.response_put!, { revision: op.response_put!.revision }) };
    case 'response_delete_range':
      return {
        response_delete_range: deleteRangeToWire(op.response_delete_range!, {
          revision: op.response_delete_range!.revision,
        }),
      };
    case 'response_txn':
      return { response_txn: txnToWire(op.response_txn!, { revision: op.response_txn!.revision }) };
  }
}

export function txnToWire(r: mvcc.TxnResponse, header: object): Wire {
  return { header, succeeded: r.succeeded, responses: r.responses.map(responseOpToWire) };
}
