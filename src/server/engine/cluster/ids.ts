/**
 * Member and cluster id derivation, exactly as etcd's `membership.NewMember` and
 * `RaftCluster.genID` compute them. Ids are bigint end to end.
 */
import { createHash } from 'node:crypto';

function first8(buf: Buffer): bigint {
  return buf.readBigUInt64BE(0);
}

/**
 * sha1(join(sorted(peerURLs), "") + token [+ unix seconds]) -> first 8 bytes, big-endian.
 * Bootstrap members pass the cluster token and no time; runtime-added members pass an empty
 * token and the current unix time in seconds.
 */
export function memberId(peerUrls: readonly string[], token: string, unixSeconds?: bigint): bigint {
  const sorted = [...peerUrls].sort();
  let s = sorted.join('') + token;
  if (unixSeconds !== undefined) s += unixSeconds.toString();
  return first8(createHash('sha1').update(s, 'utf8').digest());
}

/** sha1(concat(bigEndian8(id) for id in sorted(ids))) -> first 8 bytes, big-endian. */
export function clusterId(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, i * 8));
  return first8(createHash('sha1').update(buf).digest());
}

export function idHex(id: bigint): string {
  return id.toString(16);
}
