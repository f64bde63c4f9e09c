/**
 * Prometheus metrics on `/metrics` (prom-client), with etcd's metric names for what etcd-ts
 * tracks. Values are read from the member when scraped, so the request path pays nothing.
 * `process_resident_memory_bytes` (used by `etcdctl check datascale`) comes from prom-client's
 * default process metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import { ETCD_CLUSTER_VERSION, ETCD_VERSION } from '../../../version';
import type { MemberApi } from '../../engine/member-api';
import type { EngineStats } from '../../engine/stats';
import { GrpcMetrics } from '../grpc-metrics';
import { PeerMetrics } from './peer-metrics';

export class Metrics {
  readonly registry = new Registry();
  /** What the engine reports as it happens (disk latencies, slow applies, failed proposals). */
  readonly engine: EngineStats;
  readonly grpc: GrpcMetrics;

  constructor() {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    this.grpc = new GrpcMetrics(r);
    // etcd: 1 ms doubling to 8.192 s.
    const buckets = exponentialBuckets(0.001, 2, 14);
    const walFsync = new Histogram({
      name: 'etcd_disk_wal_fsync_duration_seconds',
      help: 'The latency distributions of fsync called by WAL.',
      buckets,
      registers: [r],
    });
    const backendCommit = new Histogram({
      name: 'etcd_disk_backend_commit_duration_seconds',
      help: 'The latency distributions of commit called by backend.',
      buckets,
      registers: [r],
    });
    const slowApply = new Counter({
      name: 'etcd_server_slow_apply_total',
      help: 'The total number of slow apply requests (likely overloaded from slow disk).',
      registers: [r],
    });
    const proposalsFailed = new Counter({
      name: 'etcd_server_proposals_failed_total',
      help: 'The total number of failed proposals seen.',
      registers: [r],
    });
    const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [r] });
    const heartbeatFailures = counter(
      'etcd_server_heartbeat_send_failures_total',
      'The total number of leader heartbeat send failures (likely overloaded from slow disk).',
    );
    const slowReadIndex = counter(
      'etcd_server_slow_read_indexes_total',
      "The total number of pending read indexes not in sync with leader's or timed out read index requests.",
    );
    const readIndexFailed = counter('etcd_server_read_indexes_failed_total', 'The total number of failed read indexes seen.');
    this.engine = {
      walFsync: (s) => walFsync.observe(s),
      backendCommit: (s) => backendCommit.observe(s),
      slowApply: () => slowApply.inc(),
      proposalFailed: () => proposalsFailed.inc(),
      heartbeatSendFailed: () => heartbeatFailures.inc(),
      slowReadIndex: () => slowReadIndex.inc(),
      readIndexFailed: () => readIndexFailed.inc(),
      peer: new PeerMetrics(r, () => this.localId),
    };
  }

  /** This member's id, for the Local label of the peer gauges (set by watch()). */
  private localId = 0n;

  /** The member's gauges, read when scraped. */
  watch(m: MemberApi, dbSize: () => number): void {
    const r = this.registry;
    this.localId = m.memberId;
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(read());
        },
      });
    };
    let reported = 0;
    new Counter({
      name: 'etcd_server_leader_changes_seen_total',
      help: 'The number of leader changes seen.',
      registers: [r],
      collect() {
        this.inc(m.raft.leaderChangesSeen - reported);
        reported = m.raft.leaderChangesSeen;
      },
    });
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', () => (m.raft.lead === 0n ? 0 : 1));
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', () => (m.raft.isLeader ? 1 : 0));
    gauge('etcd_server_is_learner', 'Whether or not this member is a learner. 1 if is, 0 otherwise.', () => (m.isLearner ? 1 : 0));
    gauge('etcd_server_proposals_committed_total', 'The total number of consensus proposals committed.', () => m.raft.commitIndex);
    gauge('etcd_server_proposals_applied_total', 'The total number of consensus proposals applied.', () => m.raft.appliedIndex);
    gauge('etcd_server_proposals_pending', 'The current number of pending proposals to commit.', () => m.pendingProposals);
    gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', dbSize);
    gauge(
      'etcd_mvcc_db_total_size_in_use_in_bytes',
      'Total size of the underlying database logically in use in bytes.',
      () => m.storeBytes,
    );
    gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', () => m.mvcc.keyCount);
    // etcd-ts's own: the record cache in front of LevelDB (--value-cache-bytes).
    gauge('etcdts_value_cache_bytes', 'Bytes of stored values held in the record cache.', () => m.valueCache.bytes);
    gauge('etcdts_value_cache_hits_total', 'Value reads served from the record cache.', () => m.valueCache.hits);
    gauge('etcdts_value_cache_misses_total', 'Value reads that went to LevelDB.', () => m.valueCache.misses);
    gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', () => m.mvcc.currentRevision);
    gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.', () => m.mvcc.compactRevision);
    gauge('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', () => m.watchHub.streams);
    gauge('etcd_debugging_mvcc_watcher_total', 'Total number of watchers.', () => m.watchHub.watcherCount);
    gauge(
      'etcd_debugging_mvcc_slow_watcher_total',
      'Total number of unsynced slow watchers.',
      () => m.watchHub.unsynced.size + m.watchHub.victims.size,
    );
    gauge('etcd_server_quota_backend_bytes', 'Current backend storage quota size in bytes.', () =>
      m.config.quotaBackendBytes === 0 ? 2 * 1024 ** 3 : m.config.quotaBackendBytes,
    );
    const version = new Gauge({
      name: 'etcd_server_version',
      help: "Which version is running. 1 for 'server_version' label with current version.",
      labelNames: ['server_version'],
      registers: [r],
    });
    version.set({ server_version: ETCD_VERSION }, 1);
    const cluster = new Gauge({
      name: 'etcd_cluster_version',
      help: "Which version is running. 1 for 'cluster_version' label with current cluster version",
      labelNames: ['cluster_version'],
      registers: [r],
    });
    cluster.set({ cluster_version: ETCD_CLUSTER_VERSION.split('.').slice(0, 2).join('.') }, 1);
    const id = new Gauge({
      name: 'etcd_server_id',
      help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.",
      labelNames: ['server_id'],
      registers: [r],
    });
    id.set({ server_id: m.memberId.toString(16) }, 1);
  }

  async text(): Promise<{ type: string; body: string }> {
    return { type: this.registry.contentType, body: await this.registry.metrics() };
  }
}
