/**
 * Membership changes as etcd's EtcdServer performs them (AddMember, RemoveMember, UpdateMember,
 * PromoteMember with their strict-reconfig checks), proposed as Raft conf changes whose context
 * carries the member as JSON. Each resolves with the membership after the change is applied.
 */
import { EtcdError } from '../../../errors';
import type { EtcdMember } from '../member';
import { memberId } from './ids';
import { forwardPromote } from './members-rpc';
import type { Member } from './membership';

/** etcd's readyPercentThreshold: a learner within 90% of the leader's log may be promoted. */
const LEARNER_READY_PERCENT = 0.9;
const MAX_LEARNERS = 1;
/** etcd's HealthInterval: a peer counts as connected once its stream has been up this long. */
export const HEALTH_INTERVAL_MS = 5000;

function validUrls(urls: readonly string[]): boolean {
  if (urls.length === 0) return false;
  for (const u of urls) {
    let p: URL;
    try {
      p = new URL(u);
    } catch {
      return false;
    }
    if (p.protocol !== 'http:' && p.protocol !== 'https:' && p.protocol !== 'unix:' && p.protocol !== 'unixs:') return false;
    if (p.pathname !== '/' && p.pathname !== '') return false;
    if (p.protocol.startsWith('http') && p.port === '' && !/:\d+$/.test(p.host)) return false;
  }
  return true;
}

function started(m: Member): boolean {
  return m.name !== '';
}

function voters(ms: Member[]): Member[] {
  return ms.filter((m) => !m.isLearner);
}

/** etcd's IsReadyToAddVotingMember. */
function readyToAddVoter(members: Member[]): boolean {
  const vs = voters(members);
  const nmembers = vs.length + 1;
  const nstarted = vs.filter(started).length;
  if (nstarted === 1 && nmembers === 2) return true;
  return nstarted >= Math.floor(nmembers / 2) + 1;
}

/** etcd's IsReadyToPromoteMember: the learner counts as started and as a future voter. */
function readyToPromote(members: Member[]): boolean {
  const vs = voters(members);
  const nmembers = vs.length + 1;
  const nstarted = vs.filter(started).length + 1;
  return nstarted >= Math.floor(nmembers / 2) + 1;
}

/**
 * etcd's numConnectedSince: this member, plus the voters whose peer stream has been up since
 * before `since` (ms, wall clock).
 */
function connectedSince(m: EtcdMember, vs: Member[], since: number): number {
  let n = 0;
  for (const v of vs) {
    if (v.id === m.memberId) n++;
    else {
      const t = m.peerActiveSince(v.id);
      if (t !== undefined && t < since) n++;
    }
  }
  return n;
}

const quorum = (n: number): number => Math.floor(n / 2) + 1;

/** etcd's IsReadyToRemoveVotingMember. */
function readyToRemoveVoter(members: Member[], id: bigint): boolean {
  const vs = voters(members);
  const nmembers = vs.length - 1;
  const nstarted = vs.filter((m) => m.id !== id && started(m)).length;
  return nstarted >= Math.floor(nmembers / 2) + 1;
}

/**
 * etcd's mayAddMember (with --strict-reconfig-check): a voter needs a started quorum after the
 * add; any add (learners too) needs this member connected, for HEALTH_INTERVAL_MS, to a quorum
 * of the enlarged cluster, the new member counted as unavailable (unless there is one voter).
 */
function mayAddMember(m: EtcdMember, members: Member[], isLearner: boolean): void {
  if (!m.config.strictReconfigCheck) return;
  if (!isLearner && !readyToAddVoter(members)) throw new EtcdError('MemberNotEnoughStarted');
  const vs = voters(members);
  if (vs.length > 1 && connectedSince(m, vs, Date.now() - HEALTH_INTERVAL_MS) < quorum(vs.length + 1)) {
    m.log.warn(
      { 'local-member-id': m.memberId.toString(16) },
      'rejecting member add request; local member has not been connected to majority peers, reconfigure breaks active quorum',
    );
    throw new EtcdError('Unhealthy');
  }
}

/**
 * etcd's mayRemoveMember: a learner goes freely; a voter needs a started quorum without it and,
 * unless it is down, this member connected to a quorum of the voters left.
 */
function mayRemoveMember(m: EtcdMember, id: bigint): void {
  if (!m.config.strictReconfigCheck) return;
  const members = m.membership.list();
  if (members.find((x) => x.id === id)?.isLearner === true) return;
  if (!readyToRemoveVoter(members, id)) throw new EtcdError('MemberNotEnoughStarted');
  if (id !== m.memberId && m.peerActiveSince(id) === undefined) return;
  const vs = voters(members);
  const active = connectedSince(m, vs, Date.now() - HEALTH_INTERVAL_MS);
  if (active - 1 < 1 + Math.floor((vs.length - 1) / 2)) {
    m.log.warn(
      { 'local-member-id': m.memberId.toString(16), active },
      'rejecting member remove request; local member has not been connected to all peers, reconfigure breaks active quorum',
    );
    throw new EtcdError('Unhealthy');
  }
}

export async function addMember(m: EtcdMember, peerURLs: string[], isLearner: boolean): Promise<Member> {
  if (!validUrls(peerURLs)) throw new EtcdError('MemberBadURLs');
  const urls = [...peerURLs].sort();
  const members = m.membership.list();
  mayAddMember(m, members, isLearner);
  // What etcd validates when the change is applied (ValidateConfigurationChange).
  for (const existing of members) {
    if (existing.peerURLs.some((u) => urls.includes(u))) throw new EtcdError('PeerURLExist');
  }
  if (isLearner && members.filter((x) => x.isLearner).length >= MAX_LEARNERS) throw new EtcdError('TooManyLearners');
  const id = memberId(urls, '', BigInt(Math.floor(Date.now() / 1000)));
  if (m.membership.get(id) !== undefined || m.membership.isRemoved(id)) throw new EtcdError('MemberExist');
  const member: Member = { id, name: '', peerURLs: urls, clientURLs: [], isLearner };
  const context = Buffer.from(JSON.stringify({ ...member, id: id.toString() }));
  await m.proposeConfChange({ type: isLearner ? 'AddLearnerNode' : 'AddNode', nodeId: id, context });
  return member;
}

export async function removeMember(m: EtcdMember, id: bigint): Promise<void> {
  mayRemoveMember(m, id);
  if (m.membership.get(id) === undefined) throw new EtcdError('MemberNotFound');
  await m.proposeConfChange({ type: 'RemoveNode', nodeId: id });
}

export async function updateMember(m: EtcdMember, id: bigint, peerURLs: string[]): Promise<void> {
  const target = m.membership.get(id);
  if (target === undefined) throw new EtcdError('MemberNotFound');
  if (!validUrls(peerURLs)) throw new EtcdError('MemberBadURLs');
  const urls = [...peerURLs].sort();
  for (const other of m.membership.list()) {
    if (other.id !== id && other.peerURLs.some((u) => urls.includes(u))) throw new EtcdError('PeerURLExist');
  }
  const context = Buffer.from(JSON.stringify({ id: id.toString(), peerURLs: urls }));
  await m.proposeConfChange({ type: 'UpdateNode', nodeId: id, context });
}

/**
 * Promotes a learner. Only the leader knows how far the learner's log is, so a follower forwards
 * the request to the leader's peer URLs (as etcd does over peer HTTP).
 */
export async function promoteMember(m: EtcdMember, id: bigint): Promise<void> {
  const target = m.membership.get(id);
  if (target === undefined) throw new EtcdError('MemberNotFound');
  if (!target.isLearner) throw new EtcdError('MemberNotLearner');
  const st = m.loop.status();
  if (st.progress === undefined) {
    const leader = m.loop.lead === 0n ? undefined : m.membership.get(m.loop.lead);
    if (leader === undefined) throw new EtcdError('NoLeader');
    let last: unknown;
    for (const url of leader.peerURLs) {
      try {
        return await forwardPromote(url, id, 5000 + 2 * m.config.electionMs, m.peerTls.credentials(url));
      } catch (e) {
        if (e instanceof EtcdError && e.kind !== 'Timeout') throw e;
        last = e;
      }
    }
    throw last ?? new EtcdError('Timeout');
  }
  const learner = st.progress.get(id);
  const leader = st.progress.get(st.id);
  if (learner === undefined) throw new EtcdError('MemberNotFound');
  if (leader !== undefined && leader.match > 0 && learner.match / leader.match < LEARNER_READY_PERCENT) {
    throw new EtcdError('LearnerNotReady');
  }
  if (m.config.strictReconfigCheck && !readyToPromote(m.membership.list())) throw new EtcdError('MemberNotEnoughStarted');
  await m.proposeConfChange({ type: 'AddNode', nodeId: id });
}
