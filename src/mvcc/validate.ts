/**
 * Request validation done by the gRPC edge before proposing (etcd's v3rpc/key.go): pure
 * functions that throw EtcdError.
 *
 * A negative `limit` is not an error in etcd 3.6: it means "no limit" (rangeKeys treats
 * limit <= 0 as unlimited), so it is accepted here too.
 */
import { EtcdError } from '../errors';
import { sortOrderOf, sortTargetOf } from './range';
import { opKind } from './txn';
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './types';

export const DEFAULT_MAX_TXN_OPS = 128;

function isEmpty(b: Buffer | undefined): boolean {
  return b === undefined || b === null || b.length === 0;
}

function nonZeroLease(l: bigint | number | string | undefined): boolean {
  return l !== undefined && l !== null && BigInt(l) !== 0n;
}

export function validateRange(req: RangeRequest): void {
  if (isEmpty(req.key)) throw new EtcdError('EmptyKey');
  if (sortOrderOf(req.sort_order) === undefined) throw new EtcdError('InvalidSortOption');
  if (sortTargetOf(req.sort_target) === undefined) throw new EtcdError('InvalidSortOption');
}

export function validatePut(req: PutRequest): void {
  if (isEmpty(req.key)) throw new EtcdError('EmptyKey');
  if (req.ignore_value === true && !isEmpty(req.value)) throw new EtcdError('ValueProvided');
  if (req.ignore_lease === true && nonZeroLease(req.lease)) throw new EtcdError('LeaseProvided');
}

export function validateDeleteRange(req: DeleteRangeRequest): void {
  if (isEmpty(req.key)) throw new EtcdError('EmptyKey');
}

function validateOp(op: RequestOp, maxTxnOps: number): void {
  switch (opKind(op)) {
    case 'request_range':
      return validateRange(op.request_range!);
    case 'request_put':
      return validatePut(op.request_put!);
    case 'request_delete_range':
      return validateDeleteRange(op.request_delete_range!);
    case 'request_txn':
      return checkTxnRequest(op.request_txn!, maxTxnOps);
    default:
      throw new EtcdError('KeyNotFound', 'empty RequestOp');
  }
}

function checkTxnRequest(req: TxnRequest, maxTxnOps: number): void {
  const compare = req.compare ?? [];
  const success = req.success ?? [];
  const failure = req.failure ?? [];
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > maxTxnOps) throw new EtcdError('TooManyOps');
  for (const c of compare) if (isEmpty(c.key)) throw new EtcdError('EmptyKey');
  for (const op of success) validateOp(op, maxTxnOps - opc);
  for (const op of failure) validateOp(op, maxTxnOps - opc);
}

// ---- duplicate-key rule (etcd's checkIntervals) ----

/**
 * An interval of latin1 strings [begin, end); end '' means +infinity (etcd's
 * StringAffineComparable). Like etcd, a range_end of "\0" is kept as the literal string "\0",
 * so such a delete overlaps no put.
 */
interface Interval {
  begin: string;
  end: string;
}

function lessAffine(a: string, b: string): boolean {
  if (a.length === 0) return false;
  if (b.length === 0) return true;
  return a < b;
}

function intersectsPoint(dels: readonly Interval[], k: string): boolean {
  const pEnd = k + '\x00';
  for (const iv of dels) {
    if (lessAffine(iv.begin, pEnd) && lessAffine(k, iv.end)) return true;
  }
  return false;
}

function checkIntervals(reqs: readonly RequestOp[]): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of reqs) {
    if (opKind(op) !== 'request_delete_range') continue;
    const d = op.request_delete_range!;
    const key = (d.key ?? Buffer.alloc(0)).toString('latin1');
    if (!isEmpty(d.range_end)) dels.push({ begin: key, end: d.range_end!.toString('latin1') });
    else dels.push({ begin: key, end: key + '\x00' });
  }
  const puts = new Set<string>();
  for (const op of reqs) {
    if (opKind(op) !== 'request_txn') continue;
    const t = op.request_txn!;
    const thenSide = checkIntervals(t.success ?? []);
    const elseSide = checkIntervals(t.failure ?? []);
    for (const k of thenSide.puts) {
      if (puts.has(k) || intersectsPoint(dels, k)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    for (const k of elseSide.puts) {
      if (puts.has(k) && !thenSide.puts.has(k)) throw new EtcdError('DuplicateKey');
      if (intersectsPoint(dels, k)) throw new EtcdError('DuplicateKey');
      puts.add(k);
    }
    dels.push(...thenSide.dels, ...elseSide.dels);
  }
  for (const op of reqs) {
    if (opKind(op) !== 'request_put') continue;
    const k = (op.request_put!.key ?? Buffer.alloc(0)).toString('latin1');
    if (puts.has(k) || intersectsPoint(dels, k)) throw new EtcdError('DuplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

/**
 * etcd's checkTxnRequest (op count with the nested budget, empty compare keys, each op) and
 * then checkIntervals on success and failure.
 */
export function validateTxn(req: TxnRequest, maxTxnOps: number = DEFAULT_MAX_TXN_OPS): void {
  checkTxnRequest(req, maxTxnOps);
  checkIntervals(req.success ?? []);
  checkIntervals(req.failure ?? []);
}
