/**
 * etcdserverpb.KV: validate, propose or read, translate (etcd `v3rpc/key.go`). Writes go through
 * Raft carrying the client's own request bytes; reads wait for a linearizable read point unless
 * serializable. A read-only Txn is served without Raft, as etcd does.
 */
import type { Logger } from 'pino';
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { RequestMetadata } from './request-metadata';
import type * as mvcc from '../../mvcc';
import { validateDeleteRange, validatePut, validateRange, validateTxn } from '../../mvcc';
import type { MemberApi } from '../engine/member-api';
import { checkRangeAuth, checkTxnAuth, type LeaseKeys } from '../../auth';
import { encodeRange } from '../wire/range-encoder';
import { encodeHeaderOnlyResponse } from '../wire/kv-proto';
import { checkFresh, requireAdmin, withCredential, type CertCall, type Credential } from './auth/credentials';
import { RequestKind } from '../wire/request-codec';
import { unary } from './unary';
import { RAW, TOO_DEEP, type WithRaw } from '../wire/raw-request';
import { EtcdError } from '../../errors';
import { costPut, costTxn } from '../wire/request-cost';
import {
  deleteRangeFromWire,
  deleteRangeToWire,
  putFromWire,
  putToWire,
  rangeFromWire,
  rangeToWire,
  txnFromWire,
  txnToWire,
} from '../wire/convert';

export const KV_RAW_METHODS = ['Put', 'DeleteRange', 'Txn', 'Compact'] as const;

function isReadOnly(ops: readonly mvcc.RequestOp[] | undefined): boolean {
  for (const op of ops ?? []) {
    if (op.request === 'request_range') continue;
    if (op.request === 'request_txn' && isReadOnly(op.request_txn!.success) && isReadOnly(op.request_txn!.failure)) continue;
    return false;
  }
  return true;
}

function allSerializable(ops: readonly mvcc.RequestOp[] | undefined): boolean {
  for (const op of ops ?? []) {
    if (op.request === 'request_range' && !op.request_range!.serializable) return false;
    if (op.request === 'request_txn' && !(allSerializable(op.request_txn!.success) && allSerializable(op.request_txn!.failure)))
      return false;
  }
  return true;
}

export function kvService(m: MemberApi, log: Logger): UntypedServiceImplementation {
  const maxTxnOps = m.config.maxTxnOps;
  const leaseKeys: LeaseKeys = (id) => m.leaseKeys(id);
  /** Encoded while read (range-encoder.ts) unless it needs sorting or filters; large ones in chunks. */
  const range = (req: mvcc.RangeRequest): object | Promise<object> => {
    const bulk = m.rangeBulk(req);
    if (bulk !== undefined) return bulk;
    const streamed = encodeRange(m.header(m.mvcc.currentRevision), (sink) => m.mvcc.rangeStream(req, sink));
    if (streamed !== undefined) return streamed;
    const r = m.mvcc.range(req);
    return rangeToWire(r, m.header(r.revision));
  };
  const readTxn = (req: mvcc.TxnRequest): object => {
    const r = m.mvcc.txn(req).response;
    return txnToWire(r, m.header(r.revision));
  };
  /** etcd's doSerialize: check the reader's permission, read, then refuse a credential gone stale meanwhile. */
  const serialize = (
    md: RequestMetadata,
    call: CertCall,
    check: (ai: Credential) => void,
    read: () => object,
  ): object | Promise<object> => {
    if (!m.auth.enabled) return read();
    return withCredential(
      m,
      md,
      call,
      (ai) => {
        check(ai);
        const out = read();
        checkFresh(m, ai);
        return out;
      },
      log,
    );
  };
  /** The sender's credential for a write: undefined (no header) unless auth is enabled. */
  const writer = (md: RequestMetadata, call: CertCall, f: (ai: Credential) => Promise<object>): object | Promise<object> =>
    m.auth.enabled ? withCredential(m, md, call, f, log) : f(undefined);
  return {
    Range: unary('Range', log, (w, md, call) => {
      const req = rangeFromWire(w);
      validateRange(req);
      const read = (): object | Promise<object> =>
        serialize(
          md,
          call,
          (ai) => checkRangeAuth(m.auth.store, ai, req),
          () => range(req),
        );
      const barrier = m.readBarrier(req.serializable === true);
      return barrier === undefined ? read() : barrier.then(read);
    }),
    Put: unary('Put', log, (w, md, call) => {
      const req = putFromWire(w);
      // etcd checks the quota before validating (quotaKVServer wraps the KV server).
      const overQuota = m.checkQuota(costPut(req));
      if (overQuota !== undefined) return overQuota;
      validatePut(req);
      return writer(md, call, (ai) =>
        m.propose<mvcc.WriteResult<mvcc.PutResponse>>(RequestKind.Put, (w as WithRaw)[RAW], ai).then((r) => {
          const header = m.header(r.response.revision);
          // Most puts answer the header alone: its bytes, written directly (kv-proto.ts).
          return r.response.prev_kv === undefined ? encodeHeaderOnlyResponse(header) : putToWire(r.response, header);
        }),
      );
    }),
    DeleteRange: unary('DeleteRange', log, (w, md, call) => {
      const req = deleteRangeFromWire(w);
      validateDeleteRange(req);
      return writer(md, call, (ai) =>
        m
          .propose<mvcc.WriteResult<mvcc.DeleteRangeResponse>>(RequestKind.DeleteRange, (w as WithRaw)[RAW], ai)
          .then((r) => deleteRangeToWire(r.response, m.header(r.response.revision))),
      );
    }),
    Txn: unary('Txn', log, (w, md, call) => {
      if ((w as Record<symbol, unknown>)[TOO_DEEP] === true) throw new EtcdError('TooManyOps');
      const req = txnFromWire(w);
      const overQuota = m.checkQuota(costTxn(req));
      if (overQuota !== undefined) return overQuota;
      validateTxn(req, maxTxnOps);
      if (isReadOnly(req.success) && isReadOnly(req.failure)) {
        const serializable = allSerializable(req.success) && allSerializable(req.failure);
        const read = (): object | Promise<object> =>
          serialize(
            md,
            call,
            (ai) => checkTxnAuth(m.auth.store, ai, leaseKeys, req),
            () => readTxn(req),
          );
        const barrier = m.readBarrier(serializable);
        return barrier === undefined ? read() : barrier.then(read);
      }
      return writer(md, call, (ai) =>
        m
          .propose<mvcc.WriteResult<mvcc.TxnResponse>>(RequestKind.Txn, (w as WithRaw)[RAW], ai)
          .then((r) => txnToWire(r.response, m.header(r.response.revision))),
      );
    }),
    Compact: unary('Compact', log, (w, md, call) =>
      // etcd's kvServer.Compact: admin only.
      requireAdmin(
        m,
        md,
        call,
        (ai) =>
          m
            .propose<{ revision: number }>(RequestKind.Compaction, (w as WithRaw)[RAW], ai)
            // physical: answer once the compacted revisions are deleted from the backend, as etcd does.
            .then(async (r) => {
              if ((w as { physical?: boolean }).physical === true) await m.compactionDone();
              return { header: m.header(r.revision) };
            }),
        log,
      ),
    ),
  };
}
