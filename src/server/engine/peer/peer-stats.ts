/**
 * What the peer transport reports for etcd's network metrics (`etcd_network_*`), as it happens:
 * bytes and failures per peer, the probed round-trip time, and streams becoming active or lost.
 */
export interface PeerStats {
  /** A batch of `bytes` was written to the stream towards `to`. */
  sent(to: bigint, bytes: number): void;
  /** A batch of `bytes` was read from the stream of `from`. */
  received(from: bigint, bytes: number): void;
  /** `messages` to `to` were dropped (no working stream, or its queue full). */
  sendFailed(to: bigint, messages: number): void;
  /** The stream of `from` failed (broken, or a malformed batch). */
  receiveFailed(from: bigint): void;
  /** A probe of `to` took `seconds` there and back. */
  roundTrip(to: bigint, seconds: number): void;
  /** The stream towards `remote` became active (true) or stopped being active (false). */
  activeChanged(remote: bigint, active: boolean): void;
}

export const NO_PEER_STATS: PeerStats = {
  sent: () => undefined,
  received: () => undefined,
  sendFailed: () => undefined,
  receiveFailed: () => undefined,
  roundTrip: () => undefined,
  activeChanged: () => undefined,
};
