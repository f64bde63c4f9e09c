/**
 * Side-by-side medians of the JSON result lines that test/go/cmd/watchbench and
 * test/go/cmd/leasebench and test/go/cmd/readbench print (their last stdout line), for test/bench/run.sh.
 *
 * Usage: node dist/test/bench/json-summary.js --kind watch|lease|read etcd=<file> ... etcd-ts=<file> ...
 *
 * Prints a markdown table: metric, etcd 3.6 median, etcd-ts median, ratio etcd-ts / etcd, and the
 * per-run values of each target (so the noise is visible).
 */
import * as fs from 'node:fs';

interface Metric {
  key: string;
  label: string;
  digits: number;
  /** Boolean fields are shown as "n/m runs true". */
  bool?: boolean;
}

const METRICS: Record<string, Metric[]> = {
  watch: [
    { key: 'watch_create_s', label: 'create all watchers (s)', digits: 2 },
    { key: 'events_expected', label: 'events expected', digits: 0 },
    { key: 'events_received', label: 'events received', digits: 0 },
    { key: 'events_duplicate', label: 'duplicate events', digits: 0 },
    { key: 'watchers_short', label: 'watchers missing events', digits: 0 },
    { key: 'exact', label: 'exact delivery (runs)', digits: 0, bool: true },
    { key: 'event_p50_ms', label: 'event delivery p50 (ms)', digits: 2 },
    { key: 'event_p99_ms', label: 'event delivery p99 (ms)', digits: 2 },
    { key: 'event_max_ms', label: 'event delivery max (ms)', digits: 0 },
    { key: 'drain_s', label: 'catch-up after last put (s)', digits: 1 },
    { key: 'base_put_p50_ms', label: 'put p50, no watchers (ms)', digits: 2 },
    { key: 'put_p50_ms', label: 'put p50, with watchers (ms)', digits: 2 },
    { key: 'base_put_p99_ms', label: 'put p99, no watchers (ms)', digits: 2 },
    { key: 'put_p99_ms', label: 'put p99, with watchers (ms)', digits: 2 },
    { key: 'put_p50_slowdown', label: 'put p50 slowdown (with / without)', digits: 2 },
    { key: 'put_p99_slowdown', label: 'put p99 slowdown (with / without)', digits: 2 },
    { key: 'rss_start_mb', label: 'server RSS at start (MB)', digits: 0 },
    { key: 'rss_watchers_idle_mb', label: 'server RSS, watchers idle (MB)', digits: 0 },
    { key: 'rss_after_load_mb', label: 'server RSS after the load (MB)', digits: 0 },
    { key: 'rss_peak_mb', label: 'server peak RSS (MB)', digits: 0 },
  ],
  lease: [
    { key: 'grants_per_s', label: 'LeaseGrant/s (64 concurrent)', digits: 0 },
    { key: 'keepalives_per_s', label: 'keep-alive renewals/s', digits: 0 },
    { key: 'keepalive_rtt_p50_ms', label: 'keep-alive round trip p50 (ms)', digits: 2 },
    { key: 'keepalive_rtt_p99_ms', label: 'keep-alive round trip p99 (ms)', digits: 2 },
    { key: 'keepalive_failed', label: 'failed renewals (TTL <= 0)', digits: 0 },
    { key: 'keepalive_dead_sampled', label: 'leases dead after (of 200 sampled)', digits: 0 },
    { key: 'revoke_all_s', label: 'revoke all leases, 64 concurrent (s)', digits: 1 },
    { key: 'attach_s', label: 'attach keys: puts with lease (s)', digits: 1 },
    { key: 'attached_keys_reported', label: 'keys reported by TimeToLive --keys', digits: 0 },
    { key: 'revoke_rpc_ms', label: 'LeaseRevoke response (ms)', digits: 1 },
    { key: 'revoke_watch_all_ms', label: 'watch saw all deletes (ms)', digits: 1 },
    { key: 'revoke_deletes_seen', label: 'deletes seen by the watch', digits: 0 },
    { key: 'revoke_delete_revisions', label: 'revisions the deletes came in', digits: 0 },
    { key: 'keys_left', label: 'keys left after revoke', digits: 0 },
  ],
  read: [
    { key: 'l1_rps', label: 'linearizable, 1 key: requests/s', digits: 0 },
    { key: 'l1_p50_ms', label: 'linearizable, 1 key: p50 (ms)', digits: 2 },
    { key: 'l1_p99_ms', label: 'linearizable, 1 key: p99 (ms)', digits: 2 },
    { key: 's1_rps', label: 'serializable, 1 key: requests/s', digits: 0 },
    { key: 's1_p50_ms', label: 'serializable, 1 key: p50 (ms)', digits: 2 },
    { key: 's1_p99_ms', label: 'serializable, 1 key: p99 (ms)', digits: 2 },
    { key: 'l100_rps', label: 'linearizable, 100 keys: requests/s', digits: 0 },
    { key: 'l100_p50_ms', label: 'linearizable, 100 keys: p50 (ms)', digits: 2 },
    { key: 'l100_p99_ms', label: 'linearizable, 100 keys: p99 (ms)', digits: 2 },
    { key: 's100_rps', label: 'serializable, 100 keys: requests/s', digits: 0 },
    { key: 's100_p50_ms', label: 'serializable, 100 keys: p50 (ms)', digits: 2 },
    { key: 's100_p99_ms', label: 'serializable, 100 keys: p99 (ms)', digits: 2 },
    { key: 'errors', label: 'failed requests (all kinds)', digits: 0 },
  ],
};

function lastJson(file: string): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').reverse();
  for (const l of lines) {
    if (l.startsWith('{')) {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
}

function main(): void {
  const argv = process.argv.slice(2);
  let kind = '';
  const files: Record<string, string[]> = { etcd: [], 'etcd-ts': [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--kind') kind = argv[++i] ?? '';
    else {
      const eq = a.indexOf('=');
      const t = a.slice(0, eq);
      if (eq < 0 || !(t in files)) throw new Error(`bad argument ${a}`);
      files[t]!.push(a.slice(eq + 1));
    }
  }
  const metrics = METRICS[kind];
  if (!metrics) throw new Error(`--kind must be one of ${Object.keys(METRICS).join(', ')}`);
  const runs: Record<string, Record<string, unknown>[]> = {};
  for (const [t, fs_] of Object.entries(files)) {
    runs[t] = fs_.map(lastJson).filter((r): r is Record<string, unknown> => r !== undefined);
  }
  const fmt = (v: number | undefined, d: number): string => (v === undefined ? 'NA' : v.toFixed(d));
  console.log('| metric | etcd 3.6 | etcd-ts | etcd-ts / etcd | etcd 3.6 runs | etcd-ts runs |');
  console.log('|---|---:|---:|---:|---|---|');
  for (const m of metrics) {
    const cells: string[] = [];
    const per: string[] = [];
    const meds: (number | undefined)[] = [];
    for (const t of ['etcd', 'etcd-ts']) {
      const rs = runs[t] ?? [];
      if (m.bool) {
        const n = rs.filter((r) => r[m.key] === true).length;
        cells.push(rs.length ? `${n}/${rs.length}` : 'NA');
        per.push('');
        meds.push(undefined);
        continue;
      }
      const vs = rs.map((r) => r[m.key]).filter((v): v is number => typeof v === 'number' && v >= 0);
      const med = median(vs);
      meds.push(med);
      cells.push(fmt(med, m.digits));
      per.push(vs.map((v) => v.toFixed(m.digits)).join(' '));
    }
    const [e, t] = meds;
    const ratio = e !== undefined && t !== undefined && e !== 0 ? (t / e).toFixed(2) : '';
    console.log(`| ${m.label} | ${cells[0]} | ${cells[1]} | ${ratio} | ${per[0]} | ${per[1]} |`);
  }
}

main();
