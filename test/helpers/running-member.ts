/**
 * A running etcd-compatible member (either our in-process etcd-ts server, or a
 * real etcd binary started as a child process). Shared by test/helpers/member.ts
 * (etcd-ts) and test/helpers/real-etcd.ts (real etcd).
 */
export interface RunningMember {
  /** Member name (etcd --name). */
  name: string;
  /** Client URL, e.g. "http://127.0.0.1:43127". */
  clientUrl: string;
  /** host:port form of the client URL, e.g. "127.0.0.1:43127" (what etcdctl --endpoints takes). */
  endpoint: string;
  /** Data directory of this member. */
  dataDir: string;
  /** Stops the member and releases its resources (for temp members: removes dataDir). Idempotent. */
  stop(): Promise<void>;
}
