/**
 * The reverse of etcd-backend.ts: an etcd 3.6 backend's buckets (from etcd's or etcd-ts's
 * snapshot file) as this member's engine records: revision records (tombstones included), the
 * compaction revision, leases with their checkpointed TTLs, alarms and the auth state. The
 * membership and Raft state are not taken from the file: a restore starts a new cluster.
 */
import type { BucketTree } from './etcd-backend';
import { encodeRecord, revKey, META_COMPACT } from '../../../mvcc/codec';
import { encodeLease as encodeLeaseRecord, leaseKey } from '../../../lease/codec';
import { authRecords, type Role, type User } from '../../../auth';
import { ALARM_TYPES } from '../../wire/alarm-type';
import { decodeAlarmMember, decodeKeyValue, decodeLease, decodeRole, decodeUser, parseRevisionBytes } from '../../wire/etcd-records';

export interface ImportedState {
  /** Engine records (keys without the storage prefix). */
  records: [string, Uint8Array][];
  /** The store revision (the last revision record's main revision). */
  revision: number;
  compactRevision: number;
  keys: number;
}

const EMPTY = Buffer.alloc(0);

function pairs(root: Map<string, BucketTree>, name: string): [Buffer, Buffer][] {
  return root.get(name)?.keys ?? [];
}

function metaValue(root: Map<string, BucketTree>, key: string): Buffer | undefined {
  return pairs(root, 'meta').find(([k]) => k.toString('latin1') === key)?.[1];
}

export function importBackend(root: Map<string, BucketTree>): ImportedState {
  const records: [string, Uint8Array][] = [];
  let revision = 0;
  let keys = 0;
  for (const [k, v] of pairs(root, 'key')) {
    const r = parseRevisionBytes(k);
    const kv = decodeKeyValue(v);
    revision = Math.max(revision, r.main);
    // etcdutl's --bump-revision marker: an empty value at the bumped revision, no key.
    if (kv.key.length === 0) continue;
    if (r.tombstone) {
      records.push([
        revKey(r.main, r.sub),
        encodeRecord({ key: kv.key, create_revision: 0, mod_revision: r.main, version: 0, value: EMPTY, lease: 0n }, true),
      ]);
    } else {
      records.push([revKey(r.main, r.sub), encodeRecord(kv, false)]);
    }
    keys++;
  }
  const finished = metaValue(root, 'finishedCompactRev');
  const compactRevision = finished === undefined ? 0 : parseRevisionBytes(finished).main;
  if (compactRevision > 0) records.push([META_COMPACT, Buffer.from(String(compactRevision), 'latin1')]);
  revision = Math.max(revision, compactRevision);
  for (const [, v] of pairs(root, 'lease')) {
    const l = decodeLease(v);
    records.push([leaseKey(l.id), encodeLeaseRecord({ id: l.id, ttl: l.ttl, remainingTtl: l.remainingTtl })]);
  }
  for (const [k] of pairs(root, 'alarm')) {
    const a = decodeAlarmMember(k);
    const type = ALARM_TYPES[a.alarm - 1];
    if (type !== undefined) records.push([`alarm/${type}/${a.memberID.toString(16).padStart(16, '0')}`, EMPTY]);
  }
  const downgrade = pairs(root, 'cluster').find(([k]) => k.toString('latin1') === 'downgrade')?.[1];
  if (downgrade !== undefined) {
    const d = JSON.parse(downgrade.toString('utf8')) as { 'target-version'?: string; enabled?: boolean };
    if (d.enabled === true)
      records.push(['downgrade', Buffer.from(JSON.stringify({ enabled: true, targetVersion: d['target-version'] ?? '' }), 'utf8')]);
  }
  const auth = pairs(root, 'auth');
  const enabled = auth.find(([k]) => k.toString('latin1') === 'authEnabled')?.[1];
  const authRev = auth.find(([k]) => k.toString('latin1') === 'authRevision')?.[1];
  const users: User[] = pairs(root, 'authUsers').map(([, v]) => {
    const u = decodeUser(v);
    return { name: u.name, password: u.password, roles: u.roles, noPassword: u.noPassword };
  });
  const roles: Role[] = pairs(root, 'authRoles').map(([, v]) => decodeRole(v));
  records.push(
    ...authRecords({
      enabled: enabled !== undefined && enabled[0] === 1,
      revision: authRev !== undefined && authRev.length === 8 ? Number(authRev.readBigUInt64BE(0)) : 1,
      users,
      roles,
    }),
  );
  return { records, revision, compactRevision, keys };
}
