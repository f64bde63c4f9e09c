import type { Raft } from './raft';
import { NONE } from './types';
import { Message, MessageType } from './types';

/** Message handling of a candidate or pre-candidate. */
export function stepCandidate(r: Raft, m: Message): void {
  const myVoteResp = r.state === 'StatePreCandidate' ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
  switch (m.type) {
    case MessageType.MsgProp:
      r.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
      r.dropProposal('no leader');
      return;
    case MessageType.MsgApp:
      r.becomeFollower(m.term, m.from);
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.becomeFollower(m.term, m.from);
      r.handleSnapshot(m);
      return;
    case MessageType.MsgTimeoutNow:
      r.logger?.debug(`${r.id} [term ${r.term} state ${r.state}] ignored MsgTimeoutNow from ${m.from}`);
      return;
    default:
      break;
  }
  if (m.type !== myVoteResp) return;
  const res = r.poll(m.from, m.type, !m.reject);
  if (res === 'VoteWon') {
    if (r.state === 'StatePreCandidate') {
      r.campaign('CampaignElection');
    } else {
      r.becomeLeader();
      r.bcastAppend();
    }
  } else if (res === 'VoteLost') {
    // A pre-candidate's lost vote leaves the term unchanged; a candidate keeps its new term.
    r.becomeFollower(r.term, NONE);
  }
}

/** Message handling of a follower. */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgProp:
      if (r.lead === NONE) {
        r.info(`${r.id} no leader at term ${r.term}; dropping proposal`);
        r.dropProposal('no leader');
      } else if (r.disableProposalForwarding) {
        r.info(`${r.id} not forwarding to leader ${r.lead} at term ${r.term}; dropping proposal`);
        r.dropProposal('proposal forwarding disabled');
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.MsgApp:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleAppendEntries(m);
      return;
    case MessageType.MsgHeartbeat:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleHeartbeat(m);
      return;
    case MessageType.MsgSnap:
      r.electionElapsed = 0;
      r.lead = m.from;
      r.handleSnapshot(m);
      return;
    case MessageType.MsgTransferLeader:
      if (r.lead === NONE) {
        r.info(`${r.id} no leader at term ${r.term}; dropping leader transfer msg`);
        return;
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.MsgTimeoutNow:
      r.info(`${r.id} [term ${r.term}] received MsgTimeoutNow from ${m.from} and starts an election to get leadership`);
      // Transfers skip pre-vote: the leader asked for it, there is no partition to guard against.
      r.hup('CampaignTransfer');
      return;
    case MessageType.MsgReadIndex:
      if (r.lead === NONE) {
        r.info(`${r.id} no leader at term ${r.term}; dropping index reading msg`);
        return;
      }
      r.send({ ...m, to: r.lead });
      return;
    case MessageType.MsgReadIndexResp:
      if (m.entries.length !== 1) {
        r.logger?.warn(`${r.id} invalid format of MsgReadIndexResp from ${m.from}, entries count: ${m.entries.length}`);
        return;
      }
      r.readStates.push({ index: m.index, requestCtx: m.entries[0]!.data });
      return;
    default:
      return;
  }
}
