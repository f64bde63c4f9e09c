/**
 * etcd's `etcd_network_*` peer metrics (rafthttp/metrics.go): names, help texts, types, labels
 * (peer ids in hex, as etcd's types.ID prints them) and the round-trip buckets, fed by the peer
 * transport's PeerStats.
 */
import { Counter, Gauge, Histogram, type Registry, exponentialBuckets } from 'prom-client';
import type { PeerStats } from '../../engine/peer/peer-stats';

const hex = (id: bigint): string => id.toString(16);

export class PeerMetrics implements PeerStats {
  private readonly sentBytes: Counter<'To'>;
  private readonly receivedBytes: Counter<'From'>;
  private readonly sentFailures: Counter<'To'>;
  private readonly receivedFailures: Counter<'From'>;
  private readonly rtt: Histogram<'To'>;
  /** Active streams and disconnections by remote member. */
  private readonly active = new Map<bigint, number>();
  private readonly disconnects = new Map<bigint, number>();

  constructor(r: Registry, localId: () => bigint) {
    const registers = [r];
    // Both carry the member's own id as Local, read when scraped: a peer stream may come up
    // before the member's id is handed over (Metrics.watch runs after the member has started).
    const active = this.active;
    const disconnects = this.disconnects;
    new Gauge({
      name: 'etcd_network_active_peers',
      help: 'The current number of active peer connections.',
      labelNames: ['Local', 'Remote'],
      registers,
      collect() {
        this.reset();
        const local = hex(localId());
        for (const [remote, n] of active) this.set({ Local: local, Remote: hex(remote) }, n);
      },
    });
    new Counter({
      name: 'etcd_network_disconnected_peers_total',
      help: 'The total number of disconnected peers.',
      labelNames: ['Local', 'Remote'],
      registers,
      collect() {
        this.reset();
        const local = hex(localId());
        for (const [remote, n] of disconnects) this.inc({ Local: local, Remote: hex(remote) }, n);
      },
    });
    this.sentBytes = new Counter({
      name: 'etcd_network_peer_sent_bytes_total',
      help: 'The total number of bytes sent to peers.',
      labelNames: ['To'],
      registers,
    });
    this.receivedBytes = new Counter({
      name: 'etcd_network_peer_received_bytes_total',
      help: 'The total number of bytes received from peers.',
      labelNames: ['From'],
      registers,
    });
    this.sentFailures = new Counter({
      name: 'etcd_network_peer_sent_failures_total',
      help: 'The total number of send failures from peers.',
      labelNames: ['To'],
      registers,
    });
    this.receivedFailures = new Counter({
      name: 'etcd_network_peer_received_failures_total',
      help: 'The total number of receive failures from peers.',
      labelNames: ['From'],
      registers,
    });
    // etcd: 0.1 ms doubling to 3.2768 s.
    this.rtt = new Histogram({
      name: 'etcd_network_peer_round_trip_time_seconds',
      help: 'Round-Trip-Time histogram between peers',
      labelNames: ['To'],
      buckets: exponentialBuckets(0.0001, 2, 16),
      registers,
    });
  }

  /** Per-peer children of the byte counters (the per-batch path does no label lookup). */
  private readonly bytes = new Map<bigint, { sent: { inc(n: number): void }; received: { inc(n: number): void } }>();

  private peer(id: bigint): { sent: { inc(n: number): void }; received: { inc(n: number): void } } {
    let p = this.bytes.get(id);
    if (p === undefined) {
      p = { sent: this.sentBytes.labels(hex(id)), received: this.receivedBytes.labels(hex(id)) };
      this.bytes.set(id, p);
    }
    return p;
  }

  sent(to: bigint, bytes: number): void {
    this.peer(to).sent.inc(bytes);
  }

  received(from: bigint, bytes: number): void {
    this.peer(from).received.inc(bytes);
  }

  sendFailed(to: bigint, messages: number): void {
    this.sentFailures.inc({ To: hex(to) }, messages);
  }

  receiveFailed(from: bigint): void {
    this.receivedFailures.inc({ From: hex(from) });
  }

  roundTrip(to: bigint, seconds: number): void {
    this.rtt.observe({ To: hex(to) }, seconds);
  }

  activeChanged(remote: bigint, active: boolean): void {
    this.active.set(remote, (this.active.get(remote) ?? 0) + (active ? 1 : -1));
    if (!active) this.disconnects.set(remote, (this.disconnects.get(remote) ?? 0) + 1);
  }
}
