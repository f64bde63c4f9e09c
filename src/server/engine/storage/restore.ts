/**
 * `etcdutl-ts snapshot restore` (etcd `etcdutl/snapshot/v3_snapshot.go` Restore): a new data dir
 * for one member of a NEW cluster from a snapshot file (etcd's or etcd-ts's: both are etcd 3.6
 * backend files). The file's SHA-256 trailer is checked (unless --skip-hash-check); keys with
 * their revisions, leases, alarms and auth are taken from the file; the membership and Raft state
 * are replaced by the new cluster's, as etcdutl does: every member restored with the same
 * --initial-cluster starts from the same state at Raft index = the number of members.
 * Nothing is written unless the whole file is read; the data dir is created atomically.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { readBolt } from '../../../bbolt';
import type { InitialClusterMember } from '../../config/config';
import { clusterId, memberId } from '../cluster/ids';
import { Membership } from '../cluster/membership';
import { importBackend } from '../snapshot/backend-import';
import { encodeHardState, encodeSnapshotMeta } from './entry-codec';
import { APPLIED_INDEX_KEY, FORMAT_KEY, FORMAT_VALUE, HARD_STATE_KEY, MEMBER_KEY, MEMBERS_KEY, SNAPSHOT_KEY } from './keys';
import { recordOps } from './level-engine';
import { encodeIndex } from './keys';
import { MARKER_FILE, type MemberRecord } from './member-db';
import { META_COMPACT } from '../../../mvcc/codec';

export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

export interface RestoreConfig {
  snapshotPath: string;
  dataDir: string;
  name: string;
  initialCluster: InitialClusterMember[];
  token: string;
  peerUrls: string[];
  skipHashCheck: boolean;
  bumpRevision: number;
  markCompacted: boolean;
}

export interface RestoreResult {
  memberId: bigint;
  clusterId: bigint;
  revision: number;
  keys: number;
}

/** Go's %v of a []byte: `[1 2 3]`. */
const goBytes = (b: Buffer): string => `[${[...b].join(' ')}]`;

/** etcd's hasChecksum: a bbolt file is whole pages, so 32 bytes past a 512 multiple are the SHA-256. */
function checkedDb(file: Buffer, skipHashCheck: boolean): Buffer {
  const hasHash = file.length % 512 === 32;
  const db = hasHash ? file.subarray(0, file.length - 32) : file;
  if (!hasHash && !skipHashCheck) throw new RestoreError('snapshot missing hash but --skip-hash-check=false');
  if (hasHash && !skipHashCheck) {
    const sha = file.subarray(file.length - 32);
    const got = createHash('sha256').update(db).digest();
    if (!got.equals(sha)) throw new RestoreError(`expected sha256 ${goBytes(sha)}, got ${goBytes(got)}`);
  }
  return db;
}

export async function restoreSnapshot(c: RestoreConfig): Promise<RestoreResult> {
  const self = c.initialCluster.find((m) => m.name === c.name);
  if (self === undefined) throw new RestoreError(`couldn't find local name "${c.name}" in the initial cluster configuration`);
  const mine = [...c.peerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== mine) {
    throw new RestoreError(
      `--initial-cluster has ${c.name}=${[...self.peerUrls].sort().join(',')} but missing from --initial-advertise-peer-urls=${mine}`,
    );
  }
  if (existsSync(c.dataDir) && readdirSync(c.dataDir).length > 0)
    throw new RestoreError(`data-dir "${c.dataDir}" not empty or could not be read`);
  let file: Buffer;
  try {
    file = readFileSync(c.snapshotPath);
  } catch (e) {
    throw new RestoreError(
      `open ${c.snapshotPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
    );
  }
  const state = importBackend(readBolt(checkedDb(file, c.skipHashCheck)));
  let revision = state.revision;
  if (c.bumpRevision > 0) {
    revision += c.bumpRevision;
    // --mark-compacted: the bumped revision is the compaction point (no history below it).
    state.records = state.records.filter(([k]) => k !== META_COMPACT);
    state.records.push([META_COMPACT, Buffer.from(String(revision), 'latin1')]);
  }

  const ids = c.initialCluster.map((m) => memberId(m.peerUrls, c.token));
  const cid = clusterId(ids);
  const myId = ids[c.initialCluster.indexOf(self)]!;
  const membership = new Membership(cid);
  c.initialCluster.forEach((m, i) =>
    membership.add({ id: ids[i]!, name: m.name, peerURLs: [...m.peerUrls].sort(), clientURLs: [], isLearner: false }),
  );
  // etcdutl commits one ConfChange entry per member: the restored state sits at that index.
  const index = ids.length;
  const record: MemberRecord = { name: c.name, memberId: myId.toString(), clusterId: cid.toString() };

  const memberDir = join(c.dataDir, 'member');
  const tmp = join(c.dataDir, 'member', 'leveldb.new');
  mkdirSync(memberDir, { recursive: true, mode: 0o700 });
  rmSync(tmp, { recursive: true, force: true });
  const db = new Level<string, Buffer>(tmp, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  try {
    const batch = db.batch();
    batch.put(FORMAT_KEY, Buffer.from(FORMAT_VALUE));
    batch.put(MEMBER_KEY, Buffer.from(JSON.stringify(record)));
    batch.put(MEMBERS_KEY, Buffer.from(membership.toJson()));
    batch.put(HARD_STATE_KEY, encodeHardState({ term: 1, vote: 0n, commit: index }));
    batch.put(
      SNAPSHOT_KEY,
      encodeSnapshotMeta({ index, term: 1, confState: { voters: [...ids].sort((a, b) => (a < b ? -1 : 1)), learners: [] } }),
    );
    batch.put(APPLIED_INDEX_KEY, encodeIndex(index));
    for (const [k, v] of state.records) {
      for (const op of recordOps(k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)))
        batch.put(op.key, Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength));
    }
    await batch.write({ sync: true } as never);
  } finally {
    await db.close();
  }
  writeFileSync(join(memberDir, MARKER_FILE), FORMAT_VALUE + '\n', { mode: 0o600 });
  renameSync(tmp, join(memberDir, 'leveldb'));
  return { memberId: myId, clusterId: cid, revision, keys: state.keys };
}
