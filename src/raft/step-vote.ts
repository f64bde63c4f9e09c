import type { Raft } from './raft';
import { NONE } from './types';
import { Message, MessageType, newMessage, voteRespMsgType } from './types';

const CAMPAIGN_TRANSFER_CTX = new TextEncoder().encode('CampaignTransfer');

/** Context of vote requests sent by a leadership transfer: they bypass the leader lease. */
export function campaignTransferCtx(): Uint8Array {
  return CAMPAIGN_TRANSFER_CTX;
}

function isTransferCtx(ctx: Uint8Array | undefined): boolean {
  if (ctx === undefined || ctx.length !== CAMPAIGN_TRANSFER_CTX.length) return false;
  for (let i = 0; i < ctx.length; i++) if (ctx[i] !== CAMPAIGN_TRANSFER_CTX[i]) return false;
  return true;
}

/**
 * The term rules applied to every message before role-specific handling: a higher term makes
 * us a follower (except for pre-votes and granted pre-vote responses, and vote requests inside
 * a check-quorum lease); lower-term messages are ignored, answered so that a stale leader or
 * pre-candidate learns the new term. Returns false when the message has been fully handled.
 */
export function checkTerm(r: Raft, m: Message): boolean {
  if (m.term === 0) {
    // Local message.
  } else if (m.term > r.term) {
    if (m.type === MessageType.MsgVote || m.type === MessageType.MsgPreVote) {
      const force = isTransferCtx(m.context);
      const inLease = r.checkQuorum && r.lead !== NONE && r.electionElapsed < r.electionTimeout;
      if (!force && inLease) {
        // Heard from a leader within the minimum election timeout: ignore the vote request.
        r.info(
          `${r.id} [logterm: ${r.raftLog.lastTerm()}, index: ${r.raftLog.lastIndex()}, vote: ${r.vote}] ignored ${MessageType[m.type]} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}: lease is not expired (remaining ticks: ${r.electionTimeout - r.electionElapsed})`,
        );
        return false;
      }
    }
    if (m.type === MessageType.MsgPreVote) {
      // Never change our term in response to a pre-vote.
    } else if (m.type === MessageType.MsgPreVoteResp && !m.reject) {
      // The term in a granted pre-vote response is the future term of our pre-campaign.
    } else {
      r.info(`${r.id} [term: ${r.term}] received a ${MessageType[m.type]} message with higher term from ${m.from} [term: ${m.term}]`);
      if (m.type === MessageType.MsgApp || m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgSnap) {
        r.becomeFollower(m.term, m.from);
      } else {
        r.becomeFollower(m.term, NONE);
      }
    }
  } else if (m.term < r.term) {
    if ((r.checkQuorum || r.preVote) && (m.type === MessageType.MsgHeartbeat || m.type === MessageType.MsgApp)) {
      // A stale leader (e.g. after a partition healed) learns of the new term from this response;
      // without it, check-quorum/pre-vote could leave it isolated forever.
      r.send(newMessage({ type: MessageType.MsgAppResp, to: m.from }));
    } else if (m.type === MessageType.MsgPreVote) {
      r.info(`${r.id} [term: ${r.term}] rejected ${MessageType[m.type]} from ${m.from} [term: ${m.term}]`);
      r.send(newMessage({ type: MessageType.MsgPreVoteResp, to: m.from, term: r.term, reject: true }));
    } else {
      r.info(`${r.id} [term: ${r.term}] ignored a ${MessageType[m.type]} message with lower term from ${m.from} [term: ${m.term}]`);
    }
    return false;
  }
  return true;
}

/** Answers a MsgVote/MsgPreVote: grant when we may vote and the candidate's log is up to date. */
export function handleVoteRequest(r: Raft, m: Message): void {
  const canVote = r.vote === m.from || (r.vote === NONE && r.lead === NONE) || (m.type === MessageType.MsgPreVote && m.term > r.term);
  const lastTerm = r.raftLog.lastTerm();
  const lastIndex = r.raftLog.lastIndex();
  if (canVote && r.raftLog.isUpToDate(m.index, m.logTerm)) {
    r.info(
      `${r.id} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${r.vote}] cast ${MessageType[m.type]} for ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`,
    );
    // The response carries the term of the request (for pre-votes, the future term).
    r.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: m.term }));
    if (m.type === MessageType.MsgVote) {
      r.electionElapsed = 0;
      r.vote = m.from;
    }
  } else {
    r.info(
      `${r.id} [logterm: ${lastTerm}, index: ${lastIndex}, vote: ${r.vote}] rejected ${MessageType[m.type]} from ${m.from} [logterm: ${m.logTerm}, index: ${m.index}] at term ${r.term}`,
    );
    r.send(newMessage({ type: voteRespMsgType(m.type), to: m.from, term: r.term, reject: true }));
  }
}
