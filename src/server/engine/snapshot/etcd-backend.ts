/**
 * A member's state as etcd 3.6's backend holds it (`server/storage/schema`): the buckets of the
 * bbolt file that `etcdctl snapshot save` receives and `etcdutl snapshot restore` reads. Built
 * from one synchronous pass over the engine (a consistent cut: nothing is applied meanwhile).
 *
 *   key             every revision record (tombstones with the 't' mark)
 *   meta            consistent_index, term, confState (JSON), storageVersion,
 *                   scheduledCompactRev / finishedCompactRev (when compacted)
 *   lease           every lease with its TTL and checkpointed remaining TTL
 *   members         id (hex) -> member JSON; members_removed (empty)
 *   cluster         clusterVersion, downgrade (when a downgrade job is enabled)
 *   alarm           every raised alarm (etcdserverpb.AlarmType: NOSPACE 1, CORRUPT 2)
 *   auth            authEnabled, authRevision; authUsers, authRoles
 */
import type { ConfState } from '../../../raft';
import type { Engine } from '../../../mvcc/engine';
import { REV_PREFIX, REV_END, META_COMPACT, decodeRecord, isTombstoneRecord, parseRevKey } from '../../../mvcc/codec';
import type { ValueSource, WriteTree } from '../../../bbolt';
import { LEASE_PREFIX, LEASE_END, decodeLease } from '../../../lease/codec';
import type { AuthStore } from '../../../auth';
import type { Member } from '../cluster/membership';
import { ALARM_TYPES, alarmTypeOf } from '../../wire/alarm-type';
import { keyValueSize, writeKeyValue } from '../../wire/kv-proto';
import {
  encodeAlarmMember,
  type KvRecord,
  encodeLease,
  encodeRole,
  encodeUser,
  leaseKeyBytes,
  revisionBytes,
  STORAGE_VERSION,
} from '../../wire/etcd-records';

export type { BucketTree } from '../../../bbolt';

/**
 * A revision record's etcd encoding, written straight into its page when the page is written
 * (the file is streamed without holding every value twice). `read` gives the record again then:
 * the engine's immutable value, or a read from a LevelDB snapshot (stored-revisions.ts).
 */
export class RecordValue implements ValueSource {
  readonly length: number;

  /** `rec`: the record now, for its encoded length. */
  constructor(
    rec: Uint8Array,
    private readonly read: () => Uint8Array,
  ) {
    this.length = keyValueSize(backendKeyValue(rec));
  }

  copy(target: Buffer, targetStart: number): number {
    return writeKeyValue(target, targetStart, backendKeyValue(this.read())) - targetStart;
  }
}

/** The KeyValue etcd stores for a revision record (a tombstone keeps only its key). */
export function backendKeyValue(rec: Uint8Array): KvRecord {
  const { kv, tombstone } = decodeRecord(rec);
  return tombstone ? { key: kv.key, create_revision: 0, mod_revision: 0, version: 0, value: EMPTY, lease: 0n } : kv;
}

/** The `key` bucket's entry of a revision record: its key (etcd's revision bytes) and its value. */
export function revisionEntry(main: number, sub: number, rec: Uint8Array, value: ValueSource): [Buffer, ValueSource] {
  return [revisionBytes(main, sub, isTombstoneRecord(rec)), value];
}

const EMPTY = Buffer.alloc(0);

export interface BackendState {
  engine: Engine;
  /** The `key` bucket's entries when the caller reads the revisions itself (default: scanned from the engine). */
  revisions?: [Buffer, ValueSource][];
  auth: AuthStore;
  members: Member[];
  appliedIndex: number;
  term: number;
  confState: ConfState;
}

const CLUSTER_VERSION = '3.6.0';

/** The `key` bucket of the given revision entries. */
export const keyBucket = (keys: [Buffer, ValueSource][]): WriteTree => bucket(keys);

const bucket = (keys: [Buffer, ValueSource][] = []): WriteTree => ({
  keys: keys.sort((a, b) => Buffer.compare(a[0], b[0])),
  buckets: new Map(),
});
const u64 = (v: bigint | number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(v));
  return b;
};
const text = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Go's json.Marshal of a raftpb.ConfState. */
export function confStateJson(cs: ConfState): string {
  const parts: string[] = [];
  if (cs.voters.length > 0) parts.push(`"voters":[${cs.voters.join(',')}]`);
  if (cs.learners.length > 0) parts.push(`"learners":[${cs.learners.join(',')}]`);
  parts.push('"auto_leave":false');
  return `{${parts.join(',')}}`;
}

/** Go's json.Marshal of a membership.Member (id as an exact uint64). */
export function memberJson(m: Member): string {
  let s = `{"id":${m.id.toString()},"peerURLs":${JSON.stringify(m.peerURLs)}`;
  if (m.isLearner) s += ',"isLearner":true';
  if (m.name !== '') s += `,"name":${JSON.stringify(m.name)}`;
  if (m.clientURLs.length > 0) s += `,"clientURLs":${JSON.stringify(m.clientURLs)}`;
  return `${s}}`;
}

/**
 * The buckets, as of now (one synchronous pass: a consistent cut). Revision values stay the
 * engine's records until written (RecordValue); the rest is small and encoded here.
 */
export function etcdBuckets(s: BackendState): Map<string, WriteTree> {
  let keys = s.revisions;
  if (keys === undefined) {
    keys = [];
    for (const [k, v] of s.engine.scan(REV_PREFIX, REV_END)) {
      const { main, sub } = parseRevKey(k);
      keys.push(revisionEntry(main, sub, v, new RecordValue(v, () => v)));
    }
  }
  const meta: [Buffer, Buffer][] = [
    [text('consistent_index'), u64(s.appliedIndex)],
    [text('term'), u64(s.term)],
    [text('confState'), text(confStateJson(s.confState))],
    [text('storageVersion'), text(STORAGE_VERSION)],
  ];
  const compacted = s.engine.get(META_COMPACT);
  const compactRev = compacted === undefined ? 0 : Number(Buffer.from(compacted).toString('latin1'));
  if (compactRev > 0) {
    meta.push([text('scheduledCompactRev'), revisionBytes(compactRev, 0, false)]);
    meta.push([text('finishedCompactRev'), revisionBytes(compactRev, 0, false)]);
  }
  const leases: [Buffer, Buffer][] = [];
  for (const [k, v] of s.engine.scan(LEASE_PREFIX, LEASE_END)) {
    const l = decodeLease(k, v);
    leases.push([leaseKeyBytes(l.id), encodeLease({ id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl })]);
  }
  const alarms: [Buffer, Buffer][] = [];
  for (const [k] of s.engine.scan('alarm/', 'alarm0')) {
    const [type, hex] = k.slice('alarm/'.length).split('/');
    const a = alarmTypeOf(type);
    if (a === undefined || hex === undefined) continue;
    alarms.push([encodeAlarmMember(BigInt(`0x${hex}`), ALARM_TYPES.indexOf(a) + 1), Buffer.alloc(0)]);
  }
  const users = s.auth.allUsers().map((u): [Buffer, Buffer] => [text(u.name), encodeUser(u)]);
  const roles = s.auth.allRoles().map((r): [Buffer, Buffer] => [text(r.name), encodeRole({ name: r.name, perms: r.perms })]);
  const out = new Map<string, WriteTree>();
  out.set('key', bucket(keys));
  out.set('meta', bucket(meta));
  out.set('lease', bucket(leases));
  out.set('alarm', bucket(alarms));
  const cluster: [Buffer, Buffer][] = [[text('clusterVersion'), text(CLUSTER_VERSION)]];
  const downgrade = s.engine.get('downgrade');
  if (downgrade !== undefined) {
    // etcd's version.DowngradeInfo JSON.
    const d = JSON.parse(Buffer.from(downgrade).toString('utf8')) as { enabled: boolean; targetVersion: string };
    cluster.push([text('downgrade'), text(JSON.stringify({ 'target-version': d.targetVersion, enabled: d.enabled }))]);
  }
  out.set('cluster', bucket(cluster));
  out.set('members', bucket(s.members.map((m): [Buffer, Buffer] => [text(m.id.toString(16)), text(memberJson(m))])));
  out.set('members_removed', bucket());
  out.set(
    'auth',
    bucket([
      [text('authEnabled'), Buffer.from([s.auth.enabled ? 1 : 0])],
      [text('authRevision'), u64(s.auth.revision)],
    ]),
  );
  out.set('authUsers', bucket(users));
  out.set('authRoles', bucket(roles));
  return out;
}
