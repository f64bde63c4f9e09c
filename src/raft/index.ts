/** Public surface of the raft core. */
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
