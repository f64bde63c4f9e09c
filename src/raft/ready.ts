import type { ReadState } from './read-only';
import type { SoftState } from './raft';
import { Entry, HardState, Message, Snapshot } from './types';

/**
 * Everything a RawNode wants done, returned by `RawNode.ready()`.
 *
 * THE CALLER MUST HANDLE A READY IN THIS ORDER:
 *  1. IF `snapshot` IS SET, PERSIST IT (AND APPLY IT TO THE STATE MACHINE BEFORE APPLYING ANY
 *     COMMITTED ENTRY OF THIS OR A LATER READY); PERSIST `entries` (APPENDING, TRUNCATING ANY
 *     CONFLICTING SUFFIX) AND `hardState` (WHEN SET). WHEN `mustSync` IS TRUE THE WRITE MUST BE
 *     DURABLE (FSYNC) BEFORE STEP 2.
 *  2. ONLY THEN SEND `messages`. (THE LEADER MAY SEND ITS MsgApp MESSAGES IN PARALLEL WITH WRITING
 *     ITS OWN ENTRIES OF THE SAME READY, BUT NO MESSAGE MAY BE SENT BEFORE THE HARD STATE AND THE
 *     ENTRIES OF EVERY EARLIER READY ARE DURABLE; VOTES AND APPEND RESPONSES ARE PROMISES ABOUT
 *     DURABLE STATE.)
 *  3. APPLY `committedEntries` IN ORDER. ENTRIES OF TYPE EntryConfChange/EntryConfChangeV2 MUST BE
 *     PASSED TO `RawNode.applyConfChange` WHEN APPLIED. `committedEntries` MAY INCLUDE ENTRIES OF
 *     THIS SAME READY'S `entries` (A SINGLE VOTER COMMITS IMMEDIATELY), WHICH IS WHY STEP 1 COMES
 *     FIRST.
 *  4. SERVE `readStates`: A READ WITH `requestCtx` IS LINEARIZABLE ONCE THE APPLIED INDEX >= `index`.
 *  5. CALL `RawNode.advance(rd)` BEFORE CALLING `ready()` AGAIN.
 */
export interface Ready {
  /** Set when leader or role changed since the previous Ready. */
  softState?: SoftState;
  /** Set when term, vote or commit changed since the previous Ready; persist it. */
  hardState?: HardState;
  readStates: ReadState[];
  /** Entries to append to stable storage. */
  entries: Entry[];
  /** A snapshot received from the leader, to persist and apply. */
  snapshot?: Snapshot;
  /** Entries known to be committed, to apply in order. */
  committedEntries: Entry[];
  /** Messages to send once the state above is durable (see the ordering contract). */
  messages: Message[];
  /** Whether hardState/entries must be synced to disk before sending messages. */
  mustSync: boolean;
}

/** Whether a Ready requires a synchronous write: new entries, or a term or vote change. */
export function mustSync(st: HardState, prev: HardState, entsNum: number): boolean {
  return entsNum !== 0 || st.vote !== prev.vote || st.term !== prev.term;
}
