/**
 * Server keepalive (grpc-js's keepalive_time_ms / keepalive_timeout_ms, etcd's
 * --grpc-keepalive-interval / --grpc-keepalive-timeout): a PING every interval; a PING not
 * acknowledged within the timeout ends the connection. The timers do not keep the process alive.
 */
const PAYLOAD = Buffer.from('etcd-ts!');

export class Keepalive {
  private readonly interval: NodeJS.Timeout;
  private waiting: NodeJS.Timeout | undefined;

  constructor(
    intervalMs: number,
    private readonly timeoutMs: number,
    private readonly sendPing: (payload: Buffer) => void,
    private readonly onTimeout: () => void,
  ) {
    this.interval = setInterval(() => this.ping(), intervalMs).unref();
  }

  /** A PING ACK arrived. */
  acked(payload: Buffer): void {
    if (this.waiting === undefined || !payload.equals(PAYLOAD)) return;
    clearTimeout(this.waiting);
    this.waiting = undefined;
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.waiting);
  }

  private ping(): void {
    if (this.waiting !== undefined) return;
    this.sendPing(PAYLOAD);
    this.waiting = setTimeout(this.onTimeout, this.timeoutMs).unref();
  }
}
