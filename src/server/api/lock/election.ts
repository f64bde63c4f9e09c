/**
 * The election recipe of etcd's `concurrency.Election`, run inside the server as etcd's
 * v3election service runs it (`v3election/election.go`). A candidate's key is
 * `name/<lease hex>` holding its value; the leader is the prefix's oldest key.
 */
import { EtcdError } from '../../../errors';
import type { KeyValue } from '../../../mvcc';
import type { KvOps } from './kv-ops';
import { prefixEnd } from './kv-ops';
import { DEFAULT_SESSION_TTL } from './mutex';
import { createRevIs, opDelete, opGet, opPut, recipeKeys } from './wire';

export const ERR_ELECTION_NOT_LEADER = 'election: not leader';
export const ERR_ELECTION_NO_LEADER = 'election: no leader';
export const ERR_MISSING_LEADER_KEY = '"leader" field must be provided';

export interface LeaderKey {
  name: Buffer;
  key: Buffer;
  rev: number;
  lease: bigint;
}

/** Blocks until elected; returns the campaign txn's header and the leader key. */
export async function campaign(
  ops: KvOps,
  name: Buffer,
  lease: bigint,
  value: Buffer,
  signal: AbortSignal,
): Promise<{ header: object; leader: LeaderKey }> {
  if (lease === 0n) lease = await ops.grantLease(DEFAULT_SESSION_TTL);
  const { prefix, key } = recipeKeys(name, lease);
  const r = await ops.txn({ compare: [createRevIs(key, 0)], success: [opPut(key, value, lease)], failure: [opGet(key)] });
  let rev = r.revision;
  const leader = (): LeaderKey => ({ name, key, rev, lease });
  if (!r.succeeded) {
    const kv = r.responses[0]!.response_range!.kvs[0]!;
    rev = kv.create_revision;
    if (!kv.value.equals(value)) {
      try {
        await proclaim(ops, leader(), value);
      } catch (e) {
        await resign(ops, leader()).catch(() => undefined);
        throw e;
      }
    }
  }
  try {
    await ops.waitDeletes(prefix, rev - 1, signal);
  } catch (e) {
    if (signal.aborted) await resign(ops, leader()).catch(() => undefined);
    throw e;
  }
  return { header: ops.header(r.revision), leader: leader() };
}

/** Updates the leader's value if it still holds the key created at `rev`. */
export async function proclaim(ops: KvOps, l: LeaderKey, value: Buffer): Promise<object> {
  const r = await ops.txn({ compare: [createRevIs(l.key, l.rev)], success: [opPut(l.key, value, l.lease)] });
  if (!r.succeeded) throw new Error(ERR_ELECTION_NOT_LEADER);
  return ops.header(r.revision);
}

/** Deletes the leader key if it is still the one created at `rev`. */
export async function resign(ops: KvOps, l: LeaderKey): Promise<object> {
  const r = await ops.txn({ compare: [createRevIs(l.key, l.rev)], success: [opDelete(l.key)] });
  return ops.header(r.revision);
}

/** The current leader's key-value. */
export async function leader(ops: KvOps, name: Buffer): Promise<{ header: object; kv: KeyValue }> {
  const { prefix } = recipeKeys(name, 0n);
  const { kv, revision } = await ops.topByCreate(prefix, 'ASCEND');
  if (kv === undefined) throw new Error(ERR_ELECTION_NO_LEADER);
  return { header: ops.header(revision), kv };
}

/**
 * Streams the leader and its changes (etcd's Election.observe): the current leader (or the first
 * one to appear), then each new value of its key until it is deleted, then the next leader.
 * Returns a stop function.
 */
export function observe(
  ops: KvOps,
  name: Buffer,
  send: (r: { header: object; kv: KeyValue }) => void,
  fail: (e: unknown) => void,
): () => void {
  const { prefix } = recipeKeys(name, 0n);
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  const stop = (): void => {
    stopped = true;
    unsubscribe?.();
  };
  const round = async (): Promise<void> => {
    if (stopped) return;
    const top = await ops.topByCreate(prefix, 'ASCEND');
    if (stopped) return;
    if (top.kv === undefined) {
      unsubscribe = ops.subscribe(prefix, prefixEnd(prefix), top.revision, (r) => {
        if (r.compactRevision !== 0) return failAll(new EtcdError('Compacted'));
        const put = r.events.find((e) => e.type === 'PUT');
        if (put === undefined || stopped) return;
        unsubscribe?.();
        follow(put.kv, put.kv.mod_revision);
      });
    } else {
      follow(top.kv, top.revision);
    }
  };
  const follow = (kv: KeyValue, rev: number): void => {
    if (stopped) return;
    send({ header: ops.header(rev), kv });
    unsubscribe = ops.subscribe(kv.key, undefined, rev + 1, (r) => {
      if (stopped) return;
      if (r.compactRevision !== 0) return failAll(new EtcdError('Compacted'));
      for (const ev of r.events) {
        if (ev.type === 'DELETE') {
          unsubscribe?.();
          unsubscribe = undefined;
          round().catch(failAll);
          return;
        }
        send({ header: ops.header(r.revision), kv: ev.kv });
      }
    });
  };
  const failAll = (e: unknown): void => {
    if (stopped) return;
    stop();
    fail(e);
  };
  round().catch(failAll);
  return stop;
}
