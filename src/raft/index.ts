/**
 * Public surface of the raft core: a pure, deterministic Raft (modelled on etcd-io/raft's
 * RawNode) with pre-vote, check-quorum, ReadIndex ('safe' and 'leaseBased'), leader transfer,
 * learners, single and joint (ConfChangeV2) membership changes and snapshots.
 *
 * Typical loop (see `Ready` for the mandatory ordering):
 *
 *   const storage = new MemoryStorage();            // replay the WAL into it on restart
 *   const node = new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, random });
 *   node.bootstrap([id]);                           // brand-new single-voter cluster only
 *   every tick:      node.tick();
 *   from the network: node.step(msg);
 *   clients:         node.propose(bytes) / node.readIndex(ctx) (throw RaftError when refused)
 *   while (node.hasReady()) {
 *     const rd = node.ready();
 *     persist rd.snapshot, rd.entries, rd.hardState (fsync if rd.mustSync); storage.append(...)
 *     send rd.messages;
 *     apply rd.committedEntries (applyConfChange for conf change entries); serve rd.readStates;
 *     node.advance(rd);
 *   }
 *
 * Not implemented: async storage writes (etcd's AsyncStorageWrites), a limit on uncommitted
 * entry bytes (MaxUncommittedEntriesSize), byte-based inflight limits.
 */
export * from './types';
export * from './errors';
export { Storage, MemoryStorage } from './storage';
export { RaftConfig, RaftLogger } from './config';
export { Ready, mustSync } from './ready';
export { ReadState, ReadOnlyOption } from './read-only';
export { RawNode, SnapshotStatus } from './rawnode';
export { SoftState, StateType } from './raft';
export { Status, BasicStatus, ProgressStatus } from './status';
export { ProgressState } from './progress';
export { encodeConfChange, decodeConfChange, encodeConfChangeV2, decodeConfChangeV2 } from './confchange-codec';
