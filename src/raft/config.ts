import { ReadOnlyOption } from './read-only';
import { Storage } from './storage';

export interface RaftLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Configuration of a raft node. Time is measured in ticks; randomness is injected. */
export interface RaftConfig {
  /** This node's id; never 0. */
  id: bigint;
  /** Ticks without hearing from a leader before campaigning (randomized in [n, 2n)). */
  electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** Last applied index; set when restarting so already-applied entries are not handed out again. */
  applied?: number;
  /** Maximum bytes of entries in one MsgApp (default 1 MiB; 0 means one entry per message). */
  maxSizePerMsg?: number;
  /** Maximum bytes of committed entries handed out per Ready (default: maxSizePerMsg). */
  maxCommittedSizePerReady?: number;
  /** Maximum in-flight MsgApp per follower in Replicate state (default 256). */
  maxInflightMsgs?: number;
  /** Leader steps down if it does not hear from a quorum within an election timeout. */
  checkQuorum?: boolean;
  /** Run a pre-vote round before incrementing the term (avoids disruption by partitioned nodes). */
  preVote?: boolean;
  readOnlyOption?: ReadOnlyOption;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /**
   * A leader removed from (or demoted in) the configuration steps down at once. Default false
   * (as etcd): it keeps replicating and heartbeating, so the commit of its own removal reaches
   * the others, until the application stops it (etcd stops a removed member after a delay).
   */
  stepDownOnRemoval?: boolean;
  /** Returns an integer in [0, n). Used for the election timeout jitter only. */
  random: (n: number) => number;
  logger?: RaftLogger;
}

export interface ResolvedConfig {
  id: bigint;
  electionTick: number;
  heartbeatTick: number;
  storage: Storage;
  applied: number;
  maxSizePerMsg: number;
  maxCommittedSizePerReady: number;
  maxInflightMsgs: number;
  checkQuorum: boolean;
  preVote: boolean;
  readOnlyOption: ReadOnlyOption;
  disableProposalForwarding: boolean;
  stepDownOnRemoval: boolean;
  random: (n: number) => number;
  logger: RaftLogger | undefined;
}

export function resolveConfig(c: RaftConfig): ResolvedConfig {
  if (c.id === 0n) throw new Error('cannot use none as id');
  if (c.heartbeatTick <= 0) throw new Error('heartbeat tick must be greater than 0');
  if (c.electionTick <= c.heartbeatTick) throw new Error('election tick must be greater than heartbeat tick');
  const maxInflight = c.maxInflightMsgs ?? 256;
  if (maxInflight <= 0) throw new Error('max inflight messages must be greater than 0');
  const readOnlyOption = c.readOnlyOption ?? 'safe';
  if (readOnlyOption === 'leaseBased' && c.checkQuorum !== true) {
    throw new Error('CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased');
  }
  const maxSizePerMsg = c.maxSizePerMsg ?? 1024 * 1024;
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    storage: c.storage,
    applied: c.applied ?? 0,
    maxSizePerMsg,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? (maxSizePerMsg === 0 ? Number.MAX_SAFE_INTEGER : maxSizePerMsg),
    maxInflightMsgs: maxInflight,
    checkQuorum: c.checkQuorum ?? false,
    preVote: c.preVote ?? false,
    readOnlyOption,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    stepDownOnRemoval: c.stepDownOnRemoval ?? false,
    random: c.random,
    logger: c.logger,
  };
}
