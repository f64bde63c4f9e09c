/**
 * When the Ready loop sends a Ready's messages: after its batch has landed, or, on a leader,
 * while the batch is being written, as etcd's Raft loop does (Raft thesis 10.2.1; etcd-io/raft:
 * "Messages may be sent while entries from the same batch are being persisted"), so that the
 * followers write in parallel with the leader and a write commits one fsync sooner.
 */
import type { Ready } from '../../raft';

/**
 * Whether `rd`'s messages may go out before its batch is written, given the term and vote last
 * made durable: on a leader (as of its latest soft state), for a Ready that changes neither term
 * nor vote (at most the commit index) and installs no snapshot. Safe because, although the
 * leader counts its own copy of an entry as it appends it, a commit that copy helps make
 * reaches no one (an answer, an apply, a follower's commit index) before a later Ready, and the
 * loop takes the next Ready only once this one's batch has landed.
 */
export function sendsBeforeWrite(rd: Ready, leading: boolean, term: number, vote: bigint, installs: boolean): boolean {
  if (!leading || installs || rd.messages.length === 0) return false;
  const hs = rd.hardState;
  return hs === undefined || (hs.term === term && hs.vote === vote);
}
