/**
 * The few client operations the concurrency recipes need, done inside the member: Txn and
 * DeleteRange through Raft (the wire request bytes are the entry payload, decoded by the applier
 * on every member), linearizable Gets, a lease grant, and waiting for a key's deletion through
 * an internal watcher on the watch hub (etcd's `waitDelete` / `waitDeletes`).
 */
import { EtcdError } from '../../../errors';
import type { DeleteRangeResponse, KeyValue, RangeRequest, RangeResponse, TxnResponse, WriteResult } from '../../../mvcc';
import { method } from '../../wire/protos';
import { encodeGrant } from '../../wire/lease-codec';
import type { LeaseIdGenerator } from '../../engine/lease/ids';
import type { LeaseApplyResult, LeaseGrantResponse } from '../../engine/lease/apply';
import { RequestKind } from '../../wire/request-codec';
import type { HubResponse } from '../../engine/watch/types';
import type { LockHost } from './host';
import type { Logger } from 'pino';
import type { Metadata } from '@grpc/grpc-js';
import type { AuthInfo } from '../../../auth';
import { credentialOf, type CertCall } from '../auth/credentials';

export type Wire = Record<string, unknown>;

/** clientv3.GetPrefixRangeEnd. */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

let internalWatchId = -1000n;

export class KvOps {
  private readonly host: LockHost;
  private readonly ids: LeaseIdGenerator;
  private readonly txnCodec = method('etcdserverpb.KV', 'Txn');
  private readonly delCodec = method('etcdserverpb.KV', 'DeleteRange');

  /** The caller's credential: every operation is checked as theirs (etcd runs the recipes as a client with the caller's token). */
  private readonly ai: AuthInfo | undefined;

  constructor(host: LockHost, ai?: AuthInfo) {
    this.host = host;
    this.ids = host.leaseIds;
    this.ai = ai;
  }

  /** These operations on behalf of the sender of `call`. */
  async forCaller(call: CertCall & { metadata: Metadata }, log: Logger): Promise<KvOps> {
    if (!this.host.auth.enabled) return this;
    return new KvOps(this.host, await credentialOf(this.host, call.metadata, call, log));
  }

  private checkRead(key: Buffer, end: Buffer | undefined): void {
    if (this.host.auth.enabled) this.host.auth.store.checkRange(this.ai, key.toString('latin1'), end?.toString('latin1') ?? '');
  }

  header(revision?: number): object {
    return this.host.header(revision);
  }

  /** A write Txn given in wire form (etcdserverpb.TxnRequest as proto-loader objects). */
  async txn(w: Wire): Promise<TxnResponse> {
    const r = await this.host.propose<WriteResult<TxnResponse>>(RequestKind.Txn, this.txnCodec.requestSerialize(w), this.ai);
    return r.response;
  }

  async deleteKey(key: Buffer): Promise<DeleteRangeResponse> {
    const r = await this.host.propose<WriteResult<DeleteRangeResponse>>(
      RequestKind.DeleteRange,
      this.delCodec.requestSerialize({ key }),
      this.ai,
    );
    return r.response;
  }

  /** A linearizable range. */
  async range(req: RangeRequest): Promise<RangeResponse> {
    await this.host.readBarrier(false);
    this.checkRead(req.key, req.range_end);
    return this.host.mvcc.range(req);
  }

  /** The prefix's key with the lowest (first) or highest (last) create revision, as WithFirstCreate/WithLastCreate. */
  async topByCreate(
    prefix: Buffer,
    order: 'ASCEND' | 'DESCEND',
    maxCreateRev?: number,
  ): Promise<{ kv: KeyValue | undefined; revision: number }> {
    const r = await this.range({
      key: prefix,
      range_end: prefixEnd(prefix),
      sort_target: 'CREATE',
      sort_order: order,
      limit: 1,
      ...(maxCreateRev !== undefined ? { max_create_revision: maxCreateRev } : {}),
    });
    return { kv: r.kvs[0], revision: r.revision };
  }

  /** Grants a lease with a generated id (a session without a lease: clientv3's default TTL 60 s). */
  async grantLease(ttl: number): Promise<bigint> {
    const req = { id: this.ids.next(), ttl };
    const r = await this.host.propose<LeaseApplyResult<LeaseGrantResponse>>(RequestKind.LeaseGrant, encodeGrant(req), this.ai);
    return r.response.id;
  }

  /**
   * Subscribes to the events of [key, end) (end undefined: the single key) from revision
   * `startRev` through an internal watcher; returns the unsubscribe function. A compacted start
   * is reported as `{ compacted: true }`.
   */
  subscribe(key: Buffer, end: Buffer | undefined, startRev: number, fn: (r: HubResponse) => void): () => void {
    this.checkRead(key, end);
    const hub = this.host.watchHub;
    let closed = false;
    const w = hub.watch(
      { id: internalWatchId--, key: key.toString('latin1'), end: end?.toString('latin1'), startRev, noPut: false, noDelete: false },
      {
        trySend: (r) => {
          if (!closed) fn(r);
          return true;
        },
      },
    );
    return () => {
      if (closed) return;
      closed = true;
      queueMicrotask(() => hub.cancel(w));
    };
  }

  /** Resolves when `key` is deleted at a revision >= rev (etcd waitDelete). */
  waitDelete(key: Buffer, rev: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new EtcdError('Canceled'));
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        unsubscribe();
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => finish(new EtcdError('Canceled'));
      const unsubscribe = this.subscribe(key, undefined, rev, (r) => {
        if (r.compactRevision !== 0) finish(new EtcdError('Compacted'));
        else if (r.events.some((e) => e.type === 'DELETE')) finish();
      });
      signal.addEventListener('abort', onAbort);
    });
  }

  /** Waits until no key under prefix has create revision <= maxCreateRev (etcd waitDeletes). */
  async waitDeletes(prefix: Buffer, maxCreateRev: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      const { kv, revision } = await this.topByCreate(prefix, 'DESCEND', maxCreateRev);
      if (kv === undefined) return;
      await this.waitDelete(kv.key, revision, signal);
    }
  }
}
