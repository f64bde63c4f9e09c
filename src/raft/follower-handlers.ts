import { restoreConfState } from './confchange';
import type { Raft } from './raft';
import { NONE } from './types';
import { ProgressTracker } from './tracker';
import { Message, MessageType, Snapshot, newMessage } from './types';

/** Follower-side handling of appends, heartbeats and snapshots from the leader. */

export function handleAppendEntries(r: Raft, m: Message): void {
  if (m.index < r.raftLog.committed) {
    r.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: r.raftLog.committed }));
    return;
  }
  const lastNew = r.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
  if (lastNew !== undefined) {
    r.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: lastNew }));
    return;
  }
  r.info(
    `${r.id} [logterm: ${r.raftLog.zeroTerm(m.index)}, index: ${m.index}] rejected MsgApp [logterm: ${m.logTerm}, index: ${m.index}] from ${m.from}`,
  );
  // Hint the leader at the largest (index, term) where our logs could still match, so it can
  // skip a whole term of conflicting entries per round trip.
  const hintIndex = Math.min(m.index, r.raftLog.lastIndex());
  const hint = r.raftLog.findConflictByTerm(hintIndex, m.logTerm);
  r.send(
    newMessage({ type: MessageType.MsgAppResp, to: m.from, index: m.index, reject: true, rejectHint: hint.index, logTerm: hint.term }),
  );
}

export function handleHeartbeat(r: Raft, m: Message): void {
  r.raftLog.commitTo(m.commit);
  const resp = newMessage({ type: MessageType.MsgHeartbeatResp, to: m.from });
  if (m.context !== undefined) resp.context = m.context;
  r.send(resp);
}

export function handleSnapshot(r: Raft, m: Message): void {
  const s = m.snapshot!;
  const { index: sindex, term: sterm } = s.metadata;
  if (restore(r, s)) {
    r.info(`${r.id} [commit: ${r.raftLog.committed}] restored snapshot [index: ${sindex}, term: ${sterm}]`);
    r.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: r.raftLog.lastIndex() }));
  } else {
    r.info(`${r.id} [commit: ${r.raftLog.committed}] ignored snapshot [index: ${sindex}, term: ${sterm}]`);
    r.send(newMessage({ type: MessageType.MsgAppResp, to: m.from, index: r.raftLog.committed }));
  }
}

/** Restores the log and configuration from a snapshot; false if it is stale or not for us. */
export function restore(r: Raft, s: Snapshot): boolean {
  if (s.metadata.index <= r.raftLog.committed) return false;
  if (r.state !== 'StateFollower') {
    // Defense in depth: only followers accept snapshots.
    r.logger?.warn(`${r.id} attempted to restore snapshot as leader; should never happen`);
    r.becomeFollower(r.term + 1, NONE);
    return false;
  }
  const cs = s.metadata.confState;
  const member = [cs.voters, cs.learners, cs.votersOutgoing ?? []].some((set) => set.includes(r.id));
  if (!member) {
    r.logger?.warn(`${r.id} attempted to restore snapshot but it is not in the ConfState; should never happen`);
    return false;
  }
  if (r.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
    r.info(
      `${r.id} [commit: ${r.raftLog.committed}] fast-forwarded commit to snapshot [index: ${s.metadata.index}, term: ${s.metadata.term}]`,
    );
    r.raftLog.commitTo(s.metadata.index);
    return false;
  }
  r.raftLog.restore(s);
  r.prs = new ProgressTracker(r.prs.maxInflight);
  const [cfg, prs] = restoreConfState(cs, r.prs.maxInflight, r.raftLog.lastIndex(), [r.prs.config, r.prs.progress]);
  r.switchToConfig(cfg, prs);
  const pr = r.prs.progress.get(r.id)!;
  pr.maybeUpdate(pr.next - 1);
  return true;
}
