/** Errors raised by the raft core. They carry no etcd wire meaning; the server maps them. */
export type RaftErrorCode =
  | 'ProposalDropped'
  | 'StepLocalMsg'
  | 'StepPeerNotFound'
  | 'Compacted'
  | 'Unavailable'
  | 'SnapOutOfDate'
  | 'SnapshotTemporarilyUnavailable'
  | 'ConfChangeInvalid';

export class RaftError extends Error {
  readonly code: RaftErrorCode;

  constructor(code: RaftErrorCode, detail?: string) {
    super(detail === undefined ? code : `${code}: ${detail}`);
    this.name = 'RaftError';
    this.code = code;
  }
}

export function isRaftError(e: unknown, code?: RaftErrorCode): e is RaftError {
  return e instanceof RaftError && (code === undefined || e.code === code);
}
