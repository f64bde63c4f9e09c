/**
 * A deliberately simple model of the store for property tests: one full snapshot (a plain
 * Map key -> KeyValue) per revision, no index, no generations, no engine. Compaction only moves
 * the compact revision. Everything is recomputed by brute force.
 */
import { EtcdError } from '../../src/errors';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../src/mvcc';

type Snap = Map<string, KeyValue>;
const EMPTY = Buffer.alloc(0);

function inSpan(k: Buffer, key: Buffer, end: Buffer | undefined): boolean {
  if (end === undefined || end.length === 0) return k.equals(key);
  if (end.length === 1 && end[0] === 0) return Buffer.compare(k, key) >= 0;
  return Buffer.compare(k, key) >= 0 && Buffer.compare(k, end) < 0;
}

function select(snap: Snap, key: Buffer, end: Buffer | undefined): KeyValue[] {
  return [...snap.values()].filter((kv) => inSpan(kv.key, key, end)).sort((a, b) => Buffer.compare(a.key, b.key));
}

const ORDERS = ['NONE', 'ASCEND', 'DESCEND'];
const TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'];

export class Model {
  /** snaps[r] = state at revision r (snaps[0] unused). */
  readonly snaps: Snap[] = [new Map(), new Map()];
  compactRev = -1;
  constructor(readonly leases: Set<bigint>) {}

  get rev(): number {
    return this.snaps.length - 1;
  }

  private rangeAt(req: RangeRequest, snapOf: (r: number) => Snap, cur: number): RangeResponse {
    const r = req.revision ?? 0;
    if (r > cur) throw new EtcdError('FutureRev');
    const at = r <= 0 ? cur : r;
    if (at < this.compactRev) throw new EtcdError('Compacted');
    const all = select(snapOf(at), req.key, req.range_end);
    const order = typeof req.sort_order === 'number' ? ORDERS[req.sort_order] : (req.sort_order ?? 'NONE');
    const target = typeof req.sort_target === 'number' ? TARGETS[req.sort_target] : (req.sort_target ?? 'KEY');
    const limit = req.limit ?? 0;
    const filtered = !!(req.min_mod_revision || req.max_mod_revision || req.min_create_revision || req.max_create_revision);
    let kvs = req.count_only ? [] : all;
    if (order === 'NONE' && !filtered && limit > 0) kvs = kvs.slice(0, limit + 1);
    kvs = kvs.filter(
      (kv) =>
        !(req.max_mod_revision && kv.mod_revision > req.max_mod_revision) &&
        !(req.min_mod_revision && kv.mod_revision < req.min_mod_revision) &&
        !(req.max_create_revision && kv.create_revision > req.max_create_revision) &&
        !(req.min_create_revision && kv.create_revision < req.min_create_revision),
    );
    const field = (kv: KeyValue): number | Buffer =>
      target === 'KEY'
        ? kv.key
        : target === 'VALUE'
          ? kv.value
          : target === 'VERSION'
            ? kv.version
            : target === 'CREATE'
              ? kv.create_revision
              : kv.mod_revision;
    const cmp = (a: KeyValue, b: KeyValue): number => {
      const x = field(a);
      const y = field(b);
      return typeof x === 'number' ? x - (y as number) : Buffer.compare(x, y as Buffer);
    };
    const eff = target !== 'KEY' && order === 'NONE' ? 'ASCEND' : order;
    if (eff === 'ASCEND') kvs = [...kvs].sort(cmp);
    if (eff === 'DESCEND') kvs = [...kvs].sort((a, b) => cmp(b, a));
    let more = false;
    if (limit > 0 && kvs.length > limit) {
      kvs = kvs.slice(0, limit);
      more = true;
    }
    if (req.keys_only) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY }));
    return { revision: cur, kvs, more, count: all.length };
  }

  range(req: RangeRequest): RangeResponse {
    return this.rangeAt(req, (r) => this.snaps[r]!, this.rev);
  }

  put(req: PutRequest): PutResponse {
    const lease = req.lease ?? 0n;
    if (lease !== 0n && !this.leases.has(lease)) throw new EtcdError('LeaseNotFound');
    const work = new Map(this.snaps[this.rev]);
    const resp = this.doPut(work, req, this.rev + 1);
    this.snaps.push(work);
    return resp;
  }

  private doPut(work: Snap, req: PutRequest, rev: number): PutResponse {
    const k = req.key.toString('latin1');
    const prev = work.get(k);
    if ((req.ignore_value || req.ignore_lease) && prev === undefined) throw new EtcdError('KeyNotFound');
    const value = req.ignore_value ? prev!.value : (req.value ?? EMPTY);
    const lease = req.ignore_lease ? prev!.lease : (req.lease ?? 0n);
    work.set(k, {
      key: Buffer.from(req.key),
      value: Buffer.from(value),
      lease,
      create_revision: prev?.create_revision ?? rev,
      mod_revision: rev,
      version: (prev?.version ?? 0) + 1,
    });
    return req.prev_kv && prev !== undefined ? { revision: rev, prev_kv: prev } : { revision: rev };
  }

  private doDelete(work: Snap, req: DeleteRangeRequest): KeyValue[] {
    const victims = select(work, req.key, req.range_end);
    for (const kv of victims) work.delete(kv.key.toString('latin1'));
    return victims;
  }

  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    const work = new Map(this.snaps[this.rev]);
    const victims = this.doDelete(work, req);
    if (victims.length > 0) this.snaps.push(work);
    return { revision: this.rev, deleted: victims.length, prev_kvs: req.prev_kv ? victims : [] };
  }

  /** Lease revocation: deletes exact keys, answers no prev_kvs (the store reads no value). */
  deleteKeys(keys: Buffer[]): DeleteRangeResponse {
    const work = new Map(this.snaps[this.rev]);
    const victims: KeyValue[] = [];
    for (const k of keys) {
      const kv = work.get(k.toString('latin1'));
      if (kv !== undefined) {
        victims.push(kv);
        work.delete(k.toString('latin1'));
      }
    }
    if (victims.length > 0) this.snaps.push(work);
    return { revision: this.rev, deleted: victims.length, prev_kvs: [] };
  }

  compact(rev: number): void {
    if (rev <= this.compactRev) throw new EtcdError('Compacted');
    if (rev > this.rev) throw new EtcdError('FutureRev');
    this.compactRev = rev;
  }

  private compareOk(snap: Snap, c: Compare): boolean {
    const kvs = select(snap, c.key, c.range_end);
    if (kvs.length === 0 && c.target === 'VALUE') return false;
    const list = kvs.length === 0 ? [{ key: EMPTY, value: EMPTY, lease: 0n, version: 0, create_revision: 0, mod_revision: 0 }] : kvs;
    return list.every((kv) => {
      let r: number;
      switch (c.target) {
        case 'VALUE':
          r = Buffer.compare(kv.value, c.value ?? EMPTY);
          break;
        case 'LEASE':
          r = kv.lease < (c.lease ?? 0n) ? -1 : kv.lease > (c.lease ?? 0n) ? 1 : 0;
          break;
        case 'CREATE':
          r = Math.sign(kv.create_revision - (c.create_revision ?? 0));
          break;
        case 'MOD':
          r = Math.sign(kv.mod_revision - (c.mod_revision ?? 0));
          break;
        default:
          r = Math.sign(kv.version - (c.version ?? 0));
      }
      return c.result === 'EQUAL' ? r === 0 : c.result === 'NOT_EQUAL' ? r !== 0 : c.result === 'GREATER' ? r > 0 : r < 0;
    });
  }

  txn(req: TxnRequest): TxnResponse {
    const cur = this.rev;
    const pre = this.snaps[cur]!;
    const work = new Map(pre);
    let changed = false;
    const checkAll = (t: TxnRequest): void => {
      const ok = (t.compare ?? []).every((c) => this.compareOk(pre, c));
      for (const op of (ok ? t.success : t.failure) ?? []) {
        if (op.request_range) {
          const r = op.request_range.revision ?? 0;
          if (r !== 0 && r > cur) throw new EtcdError('FutureRev');
          if (r !== 0 && r < this.compactRev) throw new EtcdError('Compacted');
        } else if (op.request_put) {
          const p = op.request_put;
          if ((p.ignore_lease || p.ignore_value) && !pre.has(p.key.toString('latin1'))) throw new EtcdError('KeyNotFound');
          if ((p.lease ?? 0n) !== 0n && !this.leases.has(p.lease!)) throw new EtcdError('LeaseNotFound');
        } else if (op.request_txn) checkAll(op.request_txn);
      }
    };
    checkAll(req);
    const run = (t: TxnRequest, nested: boolean): TxnResponse => {
      const ok = (t.compare ?? []).every((c) => this.compareOk(pre, c));
      const responses: ResponseOp[] = [];
      for (const op of ((ok ? t.success : t.failure) ?? []) as RequestOp[]) {
        if (op.request_range) {
          const now = changed ? cur + 1 : cur;
          responses.push({
            response: 'response_range',
            response_range: this.rangeAt(op.request_range, (r) => (r === cur + 1 ? work : this.snaps[r]!), now),
          });
        } else if (op.request_put) {
          responses.push({ response: 'response_put', response_put: this.doPut(work, op.request_put, cur + 1) });
          changed = true;
        } else if (op.request_delete_range) {
          const d = op.request_delete_range;
          const victims = this.doDelete(work, d);
          if (victims.length > 0) changed = true;
          responses.push({
            response: 'response_delete_range',
            response_delete_range: { revision: changed ? cur + 1 : cur, deleted: victims.length, prev_kvs: d.prev_kv ? victims : [] },
          });
        } else if (op.request_txn) {
          responses.push({ response: 'response_txn', response_txn: run(op.request_txn, true) });
        }
      }
      return { revision: nested ? 0 : changed ? cur + 1 : cur, succeeded: ok, responses };
    };
    const resp = run(req, false);
    if (changed) this.snaps.push(work);
    return resp;
  }
}
