/**
 * etcd's timeout detector on the leader's heartbeats: a heartbeat to a follower sent more than
 * twice the heartbeat interval after the previous one to it was late (the leader is likely
 * overloaded, often by a slow disk). Late ones are logged with etcd's text and counted.
 */
import type { Logger } from 'pino';
import { MessageType, type Message } from '../../raft/types';
import { formatGoDuration } from '../config/duration';

export class HeartbeatDetector {
  private readonly last = new Map<bigint, number>();

  constructor(
    private readonly heartbeatMs: number,
    private readonly log: Logger,
    private readonly onLate: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Looks at the messages about to be sent. */
  observe(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (m.type !== MessageType.MsgHeartbeat) continue;
      const t = this.now();
      const prev = this.last.get(m.to);
      this.last.set(m.to, t);
      if (prev === undefined) continue;
      const exceed = t - prev - 2 * this.heartbeatMs;
      if (exceed <= 0) continue;
      this.log.warn(
        {
          to: m.to.toString(16),
          'heartbeat-interval': formatGoDuration(this.heartbeatMs),
          'expected-duration': formatGoDuration(2 * this.heartbeatMs),
          'exceeded-duration': formatGoDuration(exceed),
        },
        'leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk',
      );
      this.onLate();
    }
  }

  /** Forgets the followers (leadership lost: the next term's first heartbeats are not late). */
  reset(): void {
    this.last.clear();
  }
}
