import { decodeConfChange, decodeConfChangeV2 } from './confchange-codec';
import { jointVoteResult } from './quorum';
import type { Raft } from './raft';
import { NONE } from './types';
import { EntryType, Message, MessageType } from './types';

/** Message handling of a leader. */
export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case MessageType.MsgBeat:
      r.bcastHeartbeat();
      return;
    case MessageType.MsgCheckQuorum: {
      const self = r.prs.progress.get(r.id);
      if (self !== undefined) self.recentActive = true;
      if (!r.prs.quorumActive()) {
        r.logger?.warn(`${r.id} stepped down to follower since quorum is not active`);
        r.becomeFollower(r.term, NONE);
      }
      // Mark everyone but ourselves inactive in preparation for the next check.
      r.prs.visit((id, pr) => {
        if (id !== r.id) pr.recentActive = false;
      });
      return;
    }
    case MessageType.MsgProp:
      stepProposal(r, m);
      return;
    case MessageType.MsgReadIndex:
      if (r.prs.isSingleton()) {
        // The leader is the only voter: its commit index is trivially up to date.
        const resp = r.responseToReadIndexReq(m, r.raftLog.committed);
        if (resp !== undefined) r.send(resp);
        return;
      }
      // Until the leader commits an entry of its own term it does not know the true commit index.
      if (!r.committedEntryInCurrentTerm()) {
        r.pendingReadIndexMessages.push(m);
        return;
      }
      sendMsgReadIndexResponse(r, m);
      return;
    default:
      break;
  }

  const pr = r.prs.progress.get(m.from);
  if (pr === undefined) {
    r.logger?.debug(`${r.id} no progress available for ${m.from}`);
    return;
  }
  switch (m.type) {
    case MessageType.MsgAppResp: {
      pr.recentActive = true;
      if (m.reject) {
        r.logger?.debug(
          `${r.id} received MsgAppResp(rejected, hint: (index ${m.rejectHint}, term ${m.logTerm})) from ${m.from} for index ${m.index}`,
        );
        let nextProbeIdx = m.rejectHint;
        if (m.logTerm > 0) {
          // Skip all our entries with a term above the follower's term at the hint.
          nextProbeIdx = r.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
        }
        if (pr.maybeDecrTo(m.index, nextProbeIdx)) {
          if (pr.state === 'Replicate') pr.becomeProbe();
          r.sendAppend(m.from);
        }
        return;
      }
      const oldPaused = pr.isPaused();
      if (!pr.maybeUpdate(m.index)) return;
      if (pr.state === 'Probe') pr.becomeReplicate();
      else if (pr.state === 'Snapshot' && pr.match >= pr.pendingSnapshot) {
        r.logger?.debug(`${r.id} recovered from needing snapshot, resumed sending replication messages to ${m.from}`);
        pr.becomeProbe();
        pr.becomeReplicate();
      } else if (pr.state === 'Replicate') pr.inflights.freeLE(m.index);

      if (r.maybeCommit()) {
        releasePendingReadIndexMessages(r);
        r.bcastAppend();
      } else if (oldPaused) {
        r.sendAppend(m.from);
      }
      // Flow control may now allow several size-limited appends.
      while (r.maybeSendAppend(m.from, false)) {
        /* keep sending */
      }
      if (m.from === r.leadTransferee && pr.match === r.raftLog.lastIndex()) {
        r.info(`${r.id} sent MsgTimeoutNow to ${m.from} after received MsgAppResp`);
        r.sendTimeoutNow(m.from);
      }
      return;
    }
    case MessageType.MsgHeartbeatResp: {
      pr.recentActive = true;
      pr.msgAppFlowPaused = false;
      // Even a follower with full inflights gets an append here, so that it recovers when all
      // in-flight appends were lost.
      // A caught-up follower in Probe (e.g. after reportUnreachable) also gets one, so that its
      // answer moves it back to Replicate.
      if (pr.match < r.raftLog.lastIndex() || pr.state === 'Probe') r.sendAppend(m.from);
      if (r.readOnly.option !== 'safe' || m.context === undefined || m.context.length === 0) return;
      const acks = r.readOnly.recvAck(m.from, m.context);
      if (acks === undefined) return;
      const votes = new Map<bigint, boolean>();
      for (const id of acks) votes.set(id, true);
      if (jointVoteResult(r.prs.config.voters, votes) !== 'VoteWon') return;
      for (const rs of r.readOnly.advance(m)) {
        const resp = r.responseToReadIndexReq(rs.req, rs.index);
        if (resp !== undefined) r.send(resp);
      }
      return;
    }
    case MessageType.MsgSnapStatus:
      if (pr.state !== 'Snapshot') return;
      if (!m.reject) {
        pr.becomeProbe();
        r.logger?.debug(`${r.id} snapshot succeeded, resumed sending replication messages to ${m.from}`);
      } else {
        pr.pendingSnapshot = 0;
        pr.becomeProbe();
        r.logger?.debug(`${r.id} snapshot failed, resumed sending replication messages to ${m.from}`);
      }
      // Wait for a MsgAppResp (success) or the next heartbeat (failure) before the next append.
      pr.msgAppFlowPaused = true;
      return;
    case MessageType.MsgUnreachable:
      // An optimistic MsgApp was likely lost: fall back to probing.
      if (pr.state === 'Replicate') pr.becomeProbe();
      r.logger?.debug(`${r.id} failed to send message to ${m.from} because it is unreachable`);
      return;
    case MessageType.MsgTransferLeader: {
      if (pr.isLearner) {
        r.logger?.debug(`${r.id} is learner. Ignored transferring leadership`);
        return;
      }
      const transferee = m.from;
      if (r.leadTransferee !== NONE) {
        if (r.leadTransferee === transferee) {
          r.info(
            `${r.id} [term ${r.term}] transfer leadership to ${transferee} is in progress, ignores request to same node ${transferee}`,
          );
          return;
        }
        r.abortLeaderTransfer();
        r.info(`${r.id} [term ${r.term}] abort previous transferring leadership`);
      }
      if (transferee === r.id) {
        r.logger?.debug(`${r.id} is already leader. Ignored transferring leadership to self`);
        return;
      }
      r.info(`${r.id} [term ${r.term}] starts to transfer leadership to ${transferee}`);
      // The transfer must finish within an election timeout.
      r.electionElapsed = 0;
      r.leadTransferee = transferee;
      if (pr.match === r.raftLog.lastIndex()) {
        r.sendTimeoutNow(transferee);
        r.info(`${r.id} sends MsgTimeoutNow to ${transferee} immediately as ${transferee} already has up-to-date log`);
      } else {
        r.sendAppend(transferee);
      }
      return;
    }
    default:
      return;
  }
}

function stepProposal(r: Raft, m: Message): void {
  if (m.entries.length === 0) throw new Error(`${r.id} stepped empty MsgProp`);
  if (!r.prs.progress.has(r.id)) r.dropProposal('leader was removed from the configuration');
  if (r.leadTransferee !== NONE) r.dropProposal(`leadership transfer to ${r.leadTransferee} in progress`);
  const entries = m.entries.slice();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.type === EntryType.EntryNormal) continue;
    const changes = e.type === EntryType.EntryConfChange ? 1 : decodeConfChangeV2(e.data).changes.length;
    if (e.type === EntryType.EntryConfChange) decodeConfChange(e.data); // validates the encoding
    const alreadyPending = r.pendingConfIndex > r.raftLog.applied;
    const alreadyJoint = r.prs.config.voters[1].size > 0;
    const wantsLeaveJoint = changes === 0;
    let refused = '';
    if (alreadyPending) refused = `possible unapplied conf change at index ${r.pendingConfIndex} (applied to ${r.raftLog.applied})`;
    else if (alreadyJoint && !wantsLeaveJoint) refused = 'must transition out of joint config first';
    else if (!alreadyJoint && wantsLeaveJoint) refused = 'not in joint state; refusing empty conf change';
    if (refused !== '') {
      r.info(`${r.id} ignoring conf change at config ${r.prs.config.voters[0].size} voters: ${refused}`);
      // Replaced by an empty normal entry so that indexes stay aligned with the proposal.
      entries[i] = { term: 0, index: 0, type: EntryType.EntryNormal, data: new Uint8Array(0) };
    } else {
      r.pendingConfIndex = r.raftLog.lastIndex() + i + 1;
    }
  }
  r.appendEntry(entries);
  r.bcastAppend();
}

function sendMsgReadIndexResponse(r: Raft, m: Message): void {
  const ctx = m.entries[0]!.data;
  if (r.readOnly.option === 'safe') {
    r.readOnly.addRequest(r.raftLog.committed, m);
    // The leader acknowledges its own request.
    r.readOnly.recvAck(r.id, ctx);
    r.bcastHeartbeatWithCtx(ctx);
    return;
  }
  const resp = r.responseToReadIndexReq(m, r.raftLog.committed);
  if (resp !== undefined) r.send(resp);
}

function releasePendingReadIndexMessages(r: Raft): void {
  if (r.pendingReadIndexMessages.length === 0) return;
  if (!r.committedEntryInCurrentTerm()) return;
  const msgs = r.pendingReadIndexMessages;
  r.pendingReadIndexMessages = [];
  for (const m of msgs) sendMsgReadIndexResponse(r, m);
}
