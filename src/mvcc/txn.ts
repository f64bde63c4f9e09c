/**
 * Txn execution (etcd's txn.Txn): compares of the whole tree (nested included) are evaluated
 * first against the pre-txn state, giving a path of branch choices in pre-order; then the
 * chosen ops are pre-checked against the pre-txn state; then executed in a write txn whose
 * range ops see its earlier writes.
 */
import { EtcdError } from '../errors';
import type { ReadView } from './range';
import { executeRange, rangeKeys } from './range';
import { toSpan } from './kv-index';
import { executeDeleteRange, executePut, toLease } from './ops';
import type { Compare, KeyValue, RequestOp, ResponseOp, TxnRequest, TxnResponse } from './types';
import { EMPTY_BUFFER } from './types';
import type { WriteTxn } from './write-txn';

const TARGETS = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;
const RESULTS = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const UNION_OF = { VERSION: 'version', CREATE: 'create_revision', MOD: 'mod_revision', VALUE: 'value', LEASE: 'lease' } as const;

type OpKind = 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';

/** Which request a RequestOp holds (the oneof name, or the first field set). */
export function opKind(op: RequestOp | undefined): OpKind | undefined {
  if (op === undefined || op === null) return undefined;
  if (op.request !== undefined && op[op.request] != null) return op.request;
  if (op.request_range != null) return 'request_range';
  if (op.request_put != null) return 'request_put';
  if (op.request_delete_range != null) return 'request_delete_range';
  if (op.request_txn != null) return 'request_txn';
  return undefined;
}

const ZERO_KV: KeyValue = { key: EMPTY_BUFFER, create_revision: 0, mod_revision: 0, version: 0, value: EMPTY_BUFFER, lease: 0n };

function cmp3(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** etcd's compareKV: does kv satisfy c? */
export function compareKV(c: Compare, kv: KeyValue): boolean {
  const target = typeof c.target === 'number' ? TARGETS[c.target] : (c.target ?? 'VERSION');
  const wanted = target === undefined ? undefined : UNION_OF[target];
  const member = c.target_union === undefined || c.target_union === wanted;
  let r = 0;
  switch (target) {
    case 'VALUE':
      r = Buffer.compare(kv.value, (member ? c.value : undefined) ?? EMPTY_BUFFER);
      break;
    case 'CREATE':
      r = cmp3(kv.create_revision, (member ? c.create_revision : undefined) ?? 0);
      break;
    case 'MOD':
      r = cmp3(kv.mod_revision, (member ? c.mod_revision : undefined) ?? 0);
      break;
    case 'VERSION':
      r = cmp3(kv.version, (member ? c.version : undefined) ?? 0);
      break;
    case 'LEASE':
      r = cmp3(kv.lease, toLease(member ? c.lease : undefined));
      break;
    default:
      r = 0;
  }
  const result = typeof c.result === 'number' ? RESULTS[c.result] : (c.result ?? 'EQUAL');
  switch (result) {
    case 'EQUAL':
      return r === 0;
    case 'NOT_EQUAL':
      return r !== 0;
    case 'GREATER':
      return r > 0;
    case 'LESS':
      return r < 0;
    default:
      return true;
  }
}

/** etcd's applyCompare: every key of the range must satisfy c; missing keys: see module doc. */
export function applyCompare(view: ReadView, c: Compare): boolean {
  const target = typeof c.target === 'number' ? TARGETS[c.target] : (c.target ?? 'VERSION');
  // Only a VALUE compare reads values; the others need the index's metadata alone.
  const { kvs } = rangeKeys(view, toSpan(c.key, c.range_end), view.rev, 0, false, target !== 'VALUE');
  if (kvs.length === 0) {
    if (target === 'VALUE') return false;
    return compareKV(c, ZERO_KV);
  }
  for (const kv of kvs) if (!compareKV(c, kv)) return false;
  return true;
}

function branch(req: TxnRequest, succeeded: boolean): RequestOp[] {
  return (succeeded ? req.success : req.failure) ?? [];
}

/** Pre-order list of branch choices of the txn tree (nested txns of chosen branches only). */
function compareToPath(view: ReadView, req: TxnRequest, path: boolean[]): void {
  let ok = true;
  for (const c of req.compare ?? []) {
    if (!applyCompare(view, c)) {
      ok = false;
      break;
    }
  }
  path.push(ok);
  for (const op of branch(req, ok)) {
    if (opKind(op) === 'request_txn') compareToPath(view, op.request_txn!, path);
  }
}

interface Cursor {
  path: boolean[];
  i: number;
}

/** etcd's checkTxn: errors that must fail the whole txn before any write. */
function checkTxn(view: ReadView, req: TxnRequest, cur: Cursor, leaseExists: (id: bigint) => boolean): void {
  const ops = branch(req, cur.path[cur.i++]!);
  for (const op of ops) {
    switch (opKind(op)) {
      case 'request_range': {
        const r = op.request_range!.revision ?? 0;
        if (r === 0) break;
        if (r > view.rev) throw new EtcdError('FutureRev');
        if (r < view.compactRev) throw new EtcdError('Compacted');
        break;
      }
      case 'request_put': {
        const p = op.request_put!;
        if (p.ignore_value === true || p.ignore_lease === true) {
          const { count } = rangeKeys(view, toSpan(p.key, undefined), view.rev, 0, true);
          if (count === 0) throw new EtcdError('KeyNotFound');
        }
        const lease = toLease(p.lease);
        if (lease !== 0n && !leaseExists(lease)) throw new EtcdError('LeaseNotFound');
        break;
      }
      case 'request_delete_range':
        break;
      case 'request_txn':
        checkTxn(view, op.request_txn!, cur, leaseExists);
        break;
      default:
        throw new EtcdError('KeyNotFound', 'empty RequestOp');
    }
  }
}

function execute(tw: WriteTxn, req: TxnRequest, cur: Cursor, nested: boolean): TxnResponse {
  const succeeded = cur.path[cur.i++]!;
  const responses: ResponseOp[] = [];
  for (const op of branch(req, succeeded)) {
    switch (opKind(op)) {
      case 'request_range':
        responses.push({ response: 'response_range', response_range: executeRange(tw, op.request_range!) });
        break;
      case 'request_put':
        responses.push({ response: 'response_put', response_put: executePut(tw, op.request_put!) });
        break;
      case 'request_delete_range':
        responses.push({
          response: 'response_delete_range',
          response_delete_range: executeDeleteRange(tw, op.request_delete_range!),
        });
        break;
      case 'request_txn':
        responses.push({ response: 'response_txn', response_txn: execute(tw, op.request_txn!, cur, true) });
        break;
      default:
        throw new EtcdError('KeyNotFound', 'empty RequestOp');
    }
  }
  // A nested txn's own header is never filled by etcd: revision 0.
  return { revision: nested ? 0 : tw.rev, succeeded, responses };
}

/**
 * Runs a txn: `pre` is the state before the txn, `tw` the write txn over it. Throws before any
 * write for pre-check failures; may throw after writes only for requests that validation
 * rejects (the caller rolls `tw` back).
 */
export function executeTxn(pre: ReadView, tw: WriteTxn, req: TxnRequest, leaseExists: (id: bigint) => boolean): TxnResponse {
  const path: boolean[] = [];
  compareToPath(pre, req, path);
  checkTxn(pre, req, { path, i: 0 }, leaseExists);
  return execute(tw, req, { path, i: 0 }, false);
}
