/**
 * Data types of the multi-version store. Field names are etcd's proto field names
 * (snake_case), so objects pass straight to the gRPC encoder (proto-loader with
 * `keepCase: true`, `longs: String`/bigint handled at the edge, `enums: String`, `oneofs: true`).
 *
 * Input tolerance: every optional field may be missing; missing means the proto zero value
 * (0, empty buffer, false, 'NONE'/'KEY'/...).
 *
 * Returned KeyValue objects may be shared with the store's cache of latest values:
 * TREAT THEM AS READ-ONLY (never mutate a returned KeyValue or its buffers).
 */

/** mvccpb.KeyValue. Revisions are JS numbers (they stay far below 2^53); lease is 64-bit. */
export interface KeyValue {
  key: Buffer;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Buffer;
  lease: bigint;
}

/**
 * mvccpb.Event. For DELETE, kv = {key, mod_revision: deletion revision, others zero/empty}.
 *
 * The events of a write carry no prev_kv (reading the previous value would cost a disk read per
 * overwritten or deleted key, which etcd's write path does not pay either): the watch layer reads
 * it at mod_revision-1 for the watchers that ask, as etcd's watch server does, and
 * MvccStore.events() (history) fills it the same way. What a write does know without reading is
 * `prev_lease`: the lease the key was attached to just before this change (set when the key was
 * live), which is what the lessor needs to follow attachments. When one txn writes the same key
 * twice (a put plus a delete whose range_end is "\0", which etcd's duplicate-key check lets
 * through), the second event's prev_lease is the first change's lease, while its prev_kv for a
 * watcher is the value at revision-1, as in etcd.
 */
export interface Event {
  type: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv?: KeyValue;
  prev_lease?: bigint;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Buffer;
  range_end?: Buffer;
  limit?: number;
  revision?: number;
  /** A number is an enum value not known by name (rejected by validateRange unless 0..2). */
  sort_order?: SortOrder | number;
  sort_target?: SortTarget | number;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: number;
  max_mod_revision?: number;
  min_create_revision?: number;
  max_create_revision?: number;
}

export interface RangeResponse {
  revision: number;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key: Buffer;
  value?: Buffer;
  lease?: bigint;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

export interface PutResponse {
  revision: number;
  prev_kv?: KeyValue;
}

export interface DeleteRangeRequest {
  key: Buffer;
  range_end?: Buffer;
  prev_kv?: boolean;
}

export interface DeleteRangeResponse {
  revision: number;
  deleted: number;
  prev_kvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
export type CompareUnion = 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';

export interface Compare {
  result?: CompareResult | number;
  target?: CompareTarget | number;
  key: Buffer;
  range_end?: Buffer;
  /** Which member of the oneof is set. When absent, the member matching `target` is read. */
  target_union?: CompareUnion;
  version?: number;
  create_revision?: number;
  mod_revision?: number;
  value?: Buffer;
  lease?: bigint;
}

export interface RequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  request_range?: RangeRequest;
  request_put?: PutRequest;
  request_delete_range?: DeleteRangeRequest;
  request_txn?: TxnRequest;
}

export interface ResponseOp {
  response: 'response_range' | 'response_put' | 'response_delete_range' | 'response_txn';
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
  response_txn?: TxnResponse;
}

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

/**
 * For the top-level txn, revision is the store revision after the txn. A nested txn's response
 * has revision 0, exactly like etcd (its header is allocated but never filled); the nested
 * put/range/delete responses carry their own revision.
 */
export interface TxnResponse {
  revision: number;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** Result of a write: the response and the events of the new revision, in op order. */
export interface WriteResult<R> {
  response: R;
  /** Empty when nothing changed (no new revision). */
  events: Event[];
}

export interface HashKVResult {
  /** uint32 crc32c over the revisions kept up to hashRevision. */
  hash: number;
  compactRevision: number;
  hashRevision: number;
}

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);
