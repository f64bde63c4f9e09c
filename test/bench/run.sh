#!/usr/bin/env bash
# npm run bench: `etcdctl check perf` against real etcd 3.6 and etcd-ts, side by side.
#
# What `etcdctl check perf` does (etcdctl/ctlv3/command/check.go, identical in v3.6.14 and the
# v3.6.16 we build): it opens N separate clientv3 clients (one gRPC connection each), checks that
# the prefix /etcdctl-check-perf/ is empty, then for 60 seconds a single producer goroutine,
# paced by a token-bucket limiter (rate R, burst 1), pushes Puts of a random 256-byte key
# (varint of a random int63, zero-padded, under the prefix) with a 1024-byte zero value into a
# channel of capacity N that the N client goroutines drain, each sending one unary Put at a time
# (so at most N Puts are in flight, and the offered load is capped at R/s). The loads are
# s = 50 clients / 150 writes/s, m = 200 / 1000, l = 500 / 8000, xl = 1000 / 15000, all 60 s.
# After the run it deletes the prefix (one DeleteRange) and prints PASS/FAIL lines: throughput
# (total requests / wall time of the run) must be > 0.9 R, the slowest request <= 0.5 s, the
# latency stddev <= 0.1 s, and there must be no errors; the last line is PASS or FAIL and the exit
# status is non-zero on FAIL. So s and m only test that the server keeps up with a fixed rate at
# low latency; l and xl are effectively "as fast as you can with 500/1000 concurrent clients",
# and on this 2-core machine (shared with etcdctl itself) they measure raw write throughput.
#
# For each run (BENCH_RUNS), each load (BENCH_LOADS) and each target (real etcd 3.6 from
# .tools/bin/etcd, then etcd-ts via `node <node flags of bin/etcd-ts's first line> bin/etcd-ts`,
# as executing the file runs it; the order alternates between runs), this script starts a fresh
# single-member server with a temp data dir on free 127.0.0.1 ports with the same flags, runs
# `etcdctl check perf --load=X` against it, records etcdctl's figures plus the server's CPU
# seconds (utime+stime from /proc/<pid>/stat, during the check only) and peak RSS (VmHWM from
# /proc/<pid>/status), stops the server and deletes the data dir. It prints every
# run, then medians per target and load with the ratio etcd-ts/etcd, and ends with a markdown
# table for the README.
#
# Environment:
#   BENCH_PROFILE   "default" (loads m l, 3 runs) or "ci" (load s only, 1 run)
#   BENCH_LOADS     space-separated loads, overrides the profile (e.g. "s m l xl")
#   BENCH_RUNS      runs per load and target, overrides the profile
#   BENCH_TARGETS   "etcd etcd-ts" (default); either one alone is allowed
#   BENCH_LATENCY_N requests per operation for the single-client latency step (default 1000;
#                   0 skips it). That step starts each target fresh once per run and runs
#                   test/bench/latency.ts: N sequential Puts (256-byte values), N linearizable
#                   single-key Ranges, N serializable ones, and reports p50/p99 per target.
#   BENCH_LATENCY_STEADY  warm-up calls per operation of a second latency run on the same
#                   member, right after the first (default 3000; 0 skips it): the figures of a
#                   member past its start-up (etcd-ts's JIT compiles its hot paths during the
#                   first thousands of requests), in the table's "steady" rows.
#   BENCH_NO_BUILD  1 = skip `npx tsc` and test/tools/install.sh
#   BENCH_OUT       directory for raw logs and results.tsv (default: a new temp dir, kept)
#   BENCH_REPO      repository root (default: two levels up from this script; lets a copy of
#                   the script run while the original is being edited)
#   BENCH_NODE_ARGS extra node flags for etcd-ts (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
#   BENCH_CLUSTER   1 (default) or 3: every server is a cluster of that many members on loopback
#                   ports (same flags for both targets), and etcdctl / the bench programs get all
#                   the endpoints. Server CPU is the sum over the members, peak RSS the largest
#                   member's. The latency step talks to the first member only.
#   BENCH_PERF      1 (default); 0 skips the `etcdctl check perf` loads (e.g. to run only the
#                   watch or lease benches)
#   BENCH_WATCH     1 = also run test/go/cmd/watchbench per run and target (fresh server each):
#                   W watchers of one prefix on S streams while a paced writer puts; event delivery
#                   latency, exact delivery, writer latency with/without watchers, server RSS.
#   BENCH_WATCH_ARGS flags for watchbench (default "-watchers 10000 -streams 100 -rate 5 -duration 60s")
#   BENCH_LEASE     1 = also run test/go/cmd/leasebench per run and target (fresh server each):
#                   keep-alive renewals/s of 10,000 leases on 4 streams, revoke of a lease with
#                   10,000 keys (response time, watch sees all deletes, in how many revisions).
#   BENCH_LEASE_ARGS flags for leasebench (default: its own defaults)
#   BENCH_READ      1 = also run test/go/cmd/readbench per run and target (fresh server each):
#                   200 readers over 8 clientv3 connections, linearizable and serializable Ranges
#                   of one key and of 100 keys, 10 s each: requests/s, p50/p99/max latency.
#   BENCH_READ_ARGS flags for readbench (default: its own defaults)
#   BENCH_SNAPSHOT  1 = also `etcdctl snapshot save` of a large store on both servers
#                   (test/bench/snapshot-bench.ts; BENCH_SNAPSHOT_MB, default 1024, of 8 KiB values):
#                   save seconds, file size, peak server RSS and put latency during the save
#   BENCH_SCALE     1 = also the scale scenario (issue 14; test/bench/scale-bench.ts, not in the ci
#                   profile): on both servers, fresh data dir each, load BENCH_SCALE_KEYS keys
#                   (default 1000000) /scale/%010d of BENCH_SCALE_VALUE bytes (default 256) with 64
#                   clientv3 writers (test/go/cmd/scalewriter): writes/s, peak RSS during the load,
#                   RSS settled 5 s after it, data dir size; count-only Range, first page of 1,000,
#                   all keys in one Range (test/go/cmd/scalereader) with peak RSS during it; SIGTERM
#                   and restart on the same data dir: seconds until a linearizable Range answers and
#                   RSS then. Single member, plain gRPC (BENCH_CLUSTER, BENCH_TLS, BENCH_AUTH do not
#                   apply); honours BENCH_TARGETS; writes scale.jsonl, scale.md, scale-rss.tsv to OUT.
#   BENCH_SCALE_KEYS  keys for BENCH_SCALE (default 1000000)
#   BENCH_SCALE_VALUE value size in bytes for BENCH_SCALE (default 256)
#   BENCH_AUTH      1 = auth enabled on both servers before each check: users root and perf,
#                   perf with a READWRITE role on check perf's prefix (/etcdctl-check-perf/),
#                   and etcdctl runs check perf as perf (--user perf:perfpw)
#   BENCH_TLS       1 = both servers with client TLS (https client URLs, --cert-file/--key-file
#                   from a CA the script makes with test/helpers/certs.ts) and etcdctl over TLS
#                   (--cacert); the latency, watch and lease steps (plain gRPC clients) are skipped
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="${BENCH_REPO:-$(cd "$SCRIPT_DIR/../.." && pwd)}"
cd "$REPO"

PROFILE="${BENCH_PROFILE:-default}"
case "$PROFILE" in
  ci) DEF_LOADS="s"; DEF_RUNS=1 ;;
  default | local) DEF_LOADS="m l"; DEF_RUNS=3 ;;
  *) echo "bench: unknown BENCH_PROFILE=$PROFILE (default|ci)" >&2; exit 2 ;;
esac
LOADS="${BENCH_LOADS:-$DEF_LOADS}"
RUNS="${BENCH_RUNS:-$DEF_RUNS}"
CLUSTER="${BENCH_CLUSTER:-1}"
case "$CLUSTER" in 1 | 3) ;; *) echo "bench: BENCH_CLUSTER must be 1 or 3" >&2; exit 2 ;; esac
if [[ "${BENCH_PERF:-1}" == 0 ]]; then LOADS=""; fi
WATCH="${BENCH_WATCH:-0}"
LEASE="${BENCH_LEASE:-0}"
WATCH_ARGS="${BENCH_WATCH_ARGS:--watchers 10000 -streams 100 -rate 5 -duration 60s}"
LEASE_ARGS="${BENCH_LEASE_ARGS:-}"
READ="${BENCH_READ:-0}"
READ_ARGS="${BENCH_READ_ARGS:-}"
TARGETS="${BENCH_TARGETS:-etcd etcd-ts}"
# The scale scenario (1 M keys by default, tens of minutes) never runs in the ci profile.
SCALE="${BENCH_SCALE:-0}"
if [[ "$SCALE" == 1 && "$PROFILE" == ci ]]; then
  echo "bench: BENCH_SCALE=1 ignored in the ci profile" >&2
  SCALE=0
fi
SCALE_KEYS="${BENCH_SCALE_KEYS:-1000000}"
SCALE_VALUE="${BENCH_SCALE_VALUE:-256}"
[[ "$SCALE_KEYS" =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SCALE_KEYS must be a positive integer" >&2; exit 2; }
[[ "$SCALE_VALUE" =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_SCALE_VALUE must be a positive integer" >&2; exit 2; }
OUT="${BENCH_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/etcd-ts-bench.XXXXXX")}"
mkdir -p "$OUT"
RESULTS="$OUT/results.tsv"
: >"$RESULTS"
LATENCY="$OUT/latency.tsv"
rm -f "$OUT/watch.files" "$OUT/lease.files"
: >"$LATENCY"
LAT_N="${BENCH_LATENCY_N:-1000}"
[[ "$LAT_N" =~ ^[0-9]+$ ]] || { echo "bench: BENCH_LATENCY_N must be a number" >&2; exit 2; }
LAT_STEADY="${BENCH_LATENCY_STEADY:-3000}"
[[ "$LAT_STEADY" =~ ^[0-9]+$ ]] || { echo "bench: BENCH_LATENCY_STEADY must be a number" >&2; exit 2; }

log() { echo "bench: $*" >&2; }

for l in $LOADS; do
  case "$l" in s | m | l | xl) ;; *) log "unknown load '$l' (s m l xl)"; exit 2 ;; esac
done
for t in $TARGETS; do
  case "$t" in etcd | etcd-ts) ;; *) log "unknown target '$t' (etcd etcd-ts)"; exit 2 ;; esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { log "BENCH_RUNS must be a positive integer"; exit 2; }

if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
  log "building (npx tsc -p tsconfig.json)"
  # tsc emits even when some file has type errors (another change in progress); go on with that.
  npx tsc -p tsconfig.json || log "tsc reported errors (see above); benchmarking what it emitted"
  log "installing etcd/etcdctl (test/tools/install.sh)"
  bash test/tools/install.sh
fi
ETCD_BIN="$REPO/.tools/bin/etcd"
ETCDCTL="$REPO/.tools/bin/etcdctl"
WATCHBENCH="$REPO/.tools/bin/watchbench"
LEASEBENCH="$REPO/.tools/bin/leasebench"
READBENCH="$REPO/.tools/bin/readbench"
NEED=("$ETCD_BIN" "$ETCDCTL")
[[ "$WATCH" == 1 ]] && NEED+=("$WATCHBENCH")
[[ "$LEASE" == 1 ]] && NEED+=("$LEASEBENCH")
[[ "$READ" == 1 ]] && NEED+=("$READBENCH")
[[ "$SCALE" == 1 ]] && NEED+=("$REPO/.tools/bin/scalewriter" "$REPO/.tools/bin/scalereader")
for b in "${NEED[@]}"; do
  [[ -x "$b" ]] || { log "missing $b (run bash test/tools/install.sh)"; exit 1; }
done
[[ -f dist/bin/main.js ]] || { log "missing dist/bin/main.js (run npx tsc -p tsconfig.json)"; exit 1; }

TLS="${BENCH_TLS:-0}"
SCHEME=http
TLS_FLAGS=()
if [[ "$TLS" == 1 ]]; then
  CERTS_JSON="$(node -e "require('./dist/test/helpers/certs.js').makeCertFiles().then((c) => console.log(JSON.stringify(c)))")"
  cert_path() { node -e "console.log(JSON.parse(process.argv[1])[process.argv[2]])" "$CERTS_JSON" "$1"; }
  TLS_CA="$(cert_path ca)"
  TLS_FLAGS=(--cert-file "$(cert_path serverCert)" --key-file "$(cert_path serverKey)")
  SCHEME=https
  # etcdctl over TLS: a wrapper adding --cacert to every call below.
  mkdir -p "$OUT"
  printf '#!/bin/sh\nexec %q --cacert=%q "$@"\n' "$ETCDCTL" "$TLS_CA" >"$OUT/etcdctl-tls"
  chmod +x "$OUT/etcdctl-tls"
  ETCDCTL="$OUT/etcdctl-tls"
  if [[ "$LAT_N" != 0 || "$WATCH" == 1 || "$LEASE" == 1 || "$READ" == 1 ]]; then
    log "BENCH_TLS=1: the latency, watch, lease and read steps use plain gRPC clients; skipped"
  fi
  LAT_N=0 WATCH=0 LEASE=0 READ=0
  log "client TLS on both servers (CA $TLS_CA)"
fi

AUTH="${BENCH_AUTH:-0}"
CHECK_USER=()
if [[ "$AUTH" == 1 ]]; then
  CHECK_USER=(--user perf:perfpw)
  LAT_N=0 WATCH=0 LEASE=0 READ=0
  log "auth enabled on both servers; check perf runs as user perf (READWRITE on /etcdctl-check-perf/)"
fi
# enable_auth: the users, role and auth enable that BENCH_AUTH=1 sets up on a fresh server.
enable_auth() {
  local c
  for c in "user add root:rootpw" "user grant-role root root" "role add perf" \
    "role grant-permission perf readwrite /etcdctl-check-perf/ --prefix" "user add perf:perfpw" \
    "user grant-role perf perf" "auth enable"; do
    # shellcheck disable=SC2086
    "$ETCDCTL" --endpoints="$ENDPOINT" $c >/dev/null 2>&1 || { echo "bench: etcdctl $c failed" >&2; return 1; }
  done
}

CLK_TCK="$(getconf CLK_TCK)"
# Seconds a check of each load takes at most before we give up on it (60 s load + cleanup + slack).
CHECK_TIMEOUT="${BENCH_CHECK_TIMEOUT:-240}"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

# cpu_ticks <pid>: utime+stime of the process (fields 14 and 15 of /proc/<pid>/stat; the comm
# field may contain spaces, so count from after the closing parenthesis).
cpu_ticks() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || { echo 0; return; }
  stat="${stat##*) }"
  # after "comm) ": field 3 is state, so utime (14) and stime (15) are words 12 and 13.
  awk '{print $12 + $13}' <<<"$stat"
}

# hwm_kb <pid>: peak resident set size in kB.
hwm_kb() {
  awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# cpu_ticks_all / hwm_kb_all: summed CPU ticks and the largest peak RSS over SERVER_PIDS.
cpu_ticks_all() {
  local p sum=0
  for p in "${SERVER_PIDS[@]}"; do sum=$((sum + $(cpu_ticks "$p"))); done
  echo "$sum"
}
hwm_kb_all() {
  local p v max=0
  for p in "${SERVER_PIDS[@]}"; do
    v="$(hwm_kb "$p")"; v="${v:-0}"
    ((v > max)) && max=$v
  done
  echo "$max"
}
all_alive() {
  local p
  for p in "${SERVER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null || return 1; done
}

SERVER_PID=""
SERVER_PIDS=()
SERVER_DIR=""
cleanup_server() {
  local p
  for p in "${SERVER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  SERVER_PIDS=()
  SERVER_PID=""
  if [[ -n "$SERVER_DIR" ]]; then
    rm -rf "$SERVER_DIR"
    SERVER_DIR=""
  fi
}
trap cleanup_server EXIT
trap 'cleanup_server; exit 130' INT TERM

# start_server <target> <logfile>: starts a server of CLUSTER members (logs <logfile>, or
# <logfile>.nK for member K of a cluster); sets SERVER_PID (first member), SERVER_PIDS, SERVER_DIR,
# ENDPOINT (comma-separated client endpoints of all members).
start_server() {
  local target="$1" logfile="$2" k
  local -a cports=() pports=() used=()
  for ((k = 1; k <= CLUSTER * 2; k++)); do
    local p
    p="$(free_port)"
    while [[ " ${used[*]:-} " == *" $p "* ]]; do p="$(free_port)"; done
    used+=("$p")
    if ((k <= CLUSTER)); then cports+=("$p"); else pports+=("$p"); fi
  done
  SERVER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/etcd-ts-bench-data.XXXXXX")"
  local initial="" eps=""
  for ((k = 1; k <= CLUSTER; k++)); do
    initial+="${initial:+,}n$k=http://127.0.0.1:${pports[k - 1]}"
    eps+="${eps:+,}$SCHEME://127.0.0.1:${cports[k - 1]}"
  done
  ENDPOINT="$eps"
  # ETCD_* variables would be read as flags by both servers; run them with a clean set.
  local -a envclean=()
  while IFS='=' read -r key _; do
    [[ "$key" == ETCD_* ]] && envclean+=(-u "$key")
  done < <(env)
  SERVER_PIDS=()
  for ((k = 1; k <= CLUSTER; k++)); do
    local curl="$SCHEME://127.0.0.1:${cports[k - 1]}" purl="http://127.0.0.1:${pports[k - 1]}"
    local name="n$k" data="$SERVER_DIR/data" mlog="$logfile"
    if ((CLUSTER > 1)); then data="$SERVER_DIR/data$k"; mlog="$logfile.n$k"; fi
    local flags=(
      --name "$name" --data-dir "$data"
      --listen-client-urls "$curl" --advertise-client-urls "$curl"
      --listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl"
      --initial-cluster "$initial" --initial-cluster-state new
      --log-level warn
      "${TLS_FLAGS[@]}"
    )
    case "$target" in
      etcd)
        env "${envclean[@]}" "$ETCD_BIN" "${flags[@]}" >"$mlog" 2>&1 &
        ;;
      etcd-ts)
        # node's flags from bin/etcd-ts's `#!/usr/bin/env -S node ...` line (executing the file
        # applies them), then BENCH_NODE_ARGS.
        # shellcheck disable=SC2086
        env "${envclean[@]}" node $(sed -n '1s|^#!/usr/bin/env -S node||p' bin/etcd-ts) ${BENCH_NODE_ARGS:-} bin/etcd-ts "${flags[@]}" >"$mlog" 2>&1 &
        ;;
    esac
    # `env` execs the server, so $! is the server's pid.
    SERVER_PIDS+=($!)
  done
  SERVER_PID="${SERVER_PIDS[0]}"
  local i
  for i in $(seq 1 300); do
    if ! all_alive; then
      log "$target exited during startup; log:"
      tail -20 "$logfile"* >&2
      return 1
    fi
    if "$ETCDCTL" --endpoints="$ENDPOINT" --command-timeout=1s endpoint health >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  log "$target did not become healthy at $ENDPOINT in 30 s; log:"
  tail -20 "$logfile"* >&2
  return 1
}

# parse_check <file>: prints "verdict tput slowest stddev errors" from etcdctl's output.
parse_check() {
  awk '
    /Throughput is [0-9]+ writes\/s/ || /Throughput too low: [0-9]+ writes\/s/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^writes\/s/) tput = $(i - 1)
    }
    /Slowest request took/ { s = $NF; sub(/s$/, "", s); slowest = s }
    /Stddev (is|too high)/ { s = $NF; sub(/s$/, "", s); stddev = s }
    /^FAIL: ERROR\(/ { n = $NF; errors += n }
    /^PASS$/ { verdict = "PASS" }
    /^FAIL$/ { verdict = "FAIL" }
    END {
      if (verdict == "") verdict = "ERROR"
      if (tput == "") tput = "NA"; if (slowest == "") slowest = "NA"; if (stddev == "") stddev = "NA"
      printf "%s %s %s %s %d\n", verdict, tput, slowest, stddev, errors
    }' "$1"
}

# run_one <run> <load> <target>
run_one() {
  local run="$1" load="$2" target="$3"
  local tag="$target-$load-run$run"
  ((CLUSTER > 1)) && tag="$target-c$CLUSTER-$load-run$run"
  local slog="$OUT/$tag.server.log" clog="$OUT/$tag.check.log"
  if ! start_server "$target" "$slog" || { [[ "$AUTH" == 1 ]] && ! enable_auth; }; then
    cleanup_server
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$load" "$target" ERROR NA NA NA 0 NA NA NA NA >>"$RESULTS"
    return 0
  fi
  local t0 t1 c0 c1 wall0 wall1 rc=0
  c0="$(cpu_ticks_all)"
  local -a m0=()
  local p
  for p in "${SERVER_PIDS[@]}"; do m0+=("$(cpu_ticks "$p")"); done
  # etcd-ts's event-loop delay over the check (prom-client's monitorEventLoopDelay gauges, which
  # restart at each scrape): one scrape before to start afresh, one after to read p99 and max.
  # prom-client samples with a 10 ms timer and reports the time between its ticks, so an idle
  # loop reads ~10 ms: the figures kept are the lateness beyond those 10 ms.
  local metrics_url=""
  if [[ "$target" == etcd-ts && "$TLS" != 1 ]]; then
    metrics_url="${ENDPOINT%%,*}/metrics"
    curl -s --max-time 5 "$metrics_url" >/dev/null || true
  fi
  wall0="$(date +%s.%N)"
  timeout "$CHECK_TIMEOUT" "$ETCDCTL" --endpoints="$ENDPOINT" "${CHECK_USER[@]}" check perf --load="$load" >"$clog" 2>"$OUT/$tag.check.stderr" || rc=$?
  wall1="$(date +%s.%N)"
  local loop_p99=NA loop_max=NA
  if [[ -n "$metrics_url" ]] && curl -s --max-time 5 "$metrics_url" >"$OUT/$tag.metrics"; then
    loop_p99="$(awk '$1 == "nodejs_eventloop_lag_p99_seconds" {d = $2 * 1000 - 10; printf "%.1f", d < 0 ? 0 : d}' "$OUT/$tag.metrics")"
    loop_max="$(awk '$1 == "nodejs_eventloop_lag_max_seconds" {d = $2 * 1000 - 10; printf "%.1f", d < 0 ? 0 : d}' "$OUT/$tag.metrics")"
    loop_p99="${loop_p99:-NA}" loop_max="${loop_max:-NA}"
  fi
  c1="$(cpu_ticks_all)"
  # Per-member CPU seconds (clusters): shows whether one member (the leader) is the bottleneck.
  local permember="" k
  for k in "${!SERVER_PIDS[@]}"; do
    permember+="${permember:+/}$(awk -v a="${m0[k]}" -v b="$(cpu_ticks "${SERVER_PIDS[k]}")" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", (b - a) / hz}')"
  done
  local hwm
  hwm="$(hwm_kb_all)"
  # etcdctl draws a progress bar on stderr; keep only its last lines (errors land there too).
  tail -c 4000 "$OUT/$tag.check.stderr" | tr "\r" "\n" | grep -v "^\s*[0-9]* / [0-9]* \[" | tail -20 >"$OUT/$tag.check.stderr.tail" || true
  rm -f "$OUT/$tag.check.stderr"
  if ! all_alive; then
    log "$target died during the check; server log tail:"
    tail -20 "$slog"* >&2
  fi
  cleanup_server
  [[ $rc == 124 ]] && echo "bench: etcdctl check perf timed out after ${CHECK_TIMEOUT}s" >>"$clog"
  local verdict tput slowest stddev errors
  read -r verdict tput slowest stddev errors < <(parse_check "$clog")
  local cpu rss_mb
  cpu="$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", (b - a) / hz}')"
  rss_mb="$(awk -v k="$hwm" 'BEGIN {printf "%.0f", k / 1024}')"
  t0="$wall0"; t1="$wall1"
  local wall
  wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
    "$run" "$load" "$target" "$verdict" "$tput" "$slowest" "$stddev" "$errors" "$cpu" "$rss_mb" "$loop_p99" "$loop_max" >>"$RESULTS"
  local pm=""
  ((CLUSTER > 1)) && pm=" (members $permember)"
  local lp=""
  if [[ "$loop_p99" != NA ]]; then lp="  event-loop delay p99 ${loop_p99} ms max ${loop_max} ms"; fi
  log "$(printf '%-7s load=%-2s run %s: %-5s %6s writes/s  slowest %ss  stddev %ss  errors %s  server CPU %ss%s in %ss  peak RSS %s MB%s' \
    "$target" "$load" "$run" "$verdict" "$tput" "$slowest" "$stddev" "$errors" "$cpu" "$pm" "$wall" "$rss_mb" "$lp")"
}

# latency_one <run> <target>: sequential single-client Put/Range latency (test/bench/latency.ts).
latency_one() {
  local run="$1" target="$2"
  local tag="$target-latency-run$run"
  if ! start_server "$target" "$OUT/$tag.server.log"; then
    cleanup_server
    return 0
  fi
  local steady=(--label steady --warmup "$LAT_STEADY")
  local args f
  for args in "" "${steady[*]}"; do
    [[ "$args" != "" && "$LAT_STEADY" == 0 ]] && break
    f="$OUT/$tag${args:+-steady}"
    # shellcheck disable=SC2086
    if node dist/test/bench/latency.js --endpoint "${ENDPOINT%%,*}" --n "$LAT_N" $args >"$f.json" 2>"$f.stderr"; then
      # one JSON object per line: {"op":"put","n":..,"mean_ms":..,"p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..}
      sed -E 's/[{}"]//g; s/,/ /g; s/[a-z0-9_]+://g' "$f.json" |
        awk -v r="$run" -v t="$target" '{printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, t, $1, $3, $4, $6, $7}' >>"$LATENCY"
      log "$target latency run $run${args:+ (steady)}: $(tr '\n' ' ' <"$f.json")"
    else
      log "$target latency run $run${args:+ (steady)} failed: $(tail -3 "$f.stderr")"
      break
    fi
  done
  cleanup_server
}

# gobench_one <kind> <run> <target>: runs watchbench or leasebench against a fresh server; its
# output goes to $OUT/<target>-<kind>-run<run>.out (last line: JSON results).
gobench_one() {
  local kind="$1" run="$2" target="$3" bin args
  local tag="$target-$kind-run$run"
  ((CLUSTER > 1)) && tag="$target-c$CLUSTER-$kind-run$run"
  case "$kind" in
    watch) bin="$WATCHBENCH"; args="$WATCH_ARGS" ;;
    lease) bin="$LEASEBENCH"; args="$LEASE_ARGS" ;;
    read) bin="$READBENCH"; args="$READ_ARGS" ;;
  esac
  if ! start_server "$target" "$OUT/$tag.server.log"; then
    cleanup_server
    return 0
  fi
  local rc=0 pidarg=()
  [[ "$kind" == watch ]] && pidarg=(-pid "$SERVER_PID")
  # shellcheck disable=SC2086
  ETCD_ENDPOINTS="$ENDPOINT" timeout 900 "$bin" $args "${pidarg[@]}" >"$OUT/$tag.out" 2>"$OUT/$tag.stderr" || rc=$?
  all_alive || { log "$target died during the $kind bench; server log tail:"; tail -20 "$OUT/$tag.server.log"* >&2; }
  cleanup_server
  grep "^${kind}bench:" "$OUT/$tag.stderr" | sed "s/^/  $target: /" >&2 || true
  ((rc != 0)) && log "$target $kind bench run $run exited $rc: $(grep -v '^{"level"' "$OUT/$tag.stderr" | tail -3)"
  echo "$target=$OUT/$tag.out" >>"$OUT/$kind.files"
}

log "profile=$PROFILE loads='$LOADS' runs=$RUNS cluster=$CLUSTER watch=$WATCH lease=$LEASE read=$READ scale=$SCALE targets='$TARGETS' nproc=$(nproc) loadavg='$(cut -d' ' -f1-3 /proc/loadavg)'"
log "raw logs and results.tsv in $OUT"
for run in $(seq 1 "$RUNS"); do
  # Alternate which target goes first so drift in the machine's load hits both alike.
  if ((run % 2 == 1)); then order="$TARGETS"; else order="$(echo "$TARGETS" | awk '{for (i = NF; i > 0; i--) printf "%s ", $i}')"; fi
  for load in $LOADS; do
    for target in $order; do
      run_one "$run" "$load" "$target"
    done
  done
  if [[ "$LAT_N" != 0 ]]; then
    for target in $order; do
      latency_one "$run" "$target"
    done
  fi
  if [[ "$WATCH" == 1 ]]; then
    for target in $order; do gobench_one watch "$run" "$target"; done
  fi
  if [[ "$LEASE" == 1 ]]; then
    for target in $order; do gobench_one lease "$run" "$target"; done
  fi
  if [[ "$READ" == 1 ]]; then
    for target in $order; do gobench_one read "$run" "$target"; done
  fi
done

# ---- report ---------------------------------------------------------------------------------
# results.tsv columns: run load target verdict tput slowest stddev errors cpu_s rss_mb
#   loop_p99_ms loop_max_ms (etcd-ts's event-loop delay during the check; NA for etcd)
if [[ -n "${LOADS// /}" ]]; then
echo
echo "== all runs (etcdctl check perf; server CPU seconds during the check; server peak RSS)"
printf '%-4s %-4s %-8s %-6s %10s %10s %10s %7s %8s %8s\n' run load target result writes/s slowest_s stddev_s errors cpu_s rss_MB
sort -k2,2 -k3,3 -k1,1n "$RESULTS" | awk -F'\t' '{printf "%-4s %-4s %-8s %-6s %10s %10s %10s %7s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10}'
fi

# median <load> <target> <column>: median over runs of a numeric column ("NA" ignored).
median() {
  awk -F'\t' -v l="$1" -v t="$2" -v c="$3" '$2 == l && $3 == t && $c != "NA" {print $c}' "$RESULTS" |
    sort -g | awk '{v[NR] = $1} END {
      if (NR == 0) { print "NA"; exit }
      if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
      print m
    }'
}
passes() {
  awk -F'\t' -v l="$1" -v t="$2" '$2 == l && $3 == t {n++; if ($4 == "PASS") p++} END {printf "%d/%d", p, n}' "$RESULTS"
}
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {if (a == "NA" || b == "NA" || b + 0 == 0) print "NA"; else printf "%.2f", a / b}'
}
fmt() { awk -v v="$1" -v f="$2" 'BEGIN {if (v == "NA") print "NA"; else printf f, v}'; }
ms() { awk -v x="$1" 'BEGIN {if (x == "NA") print "NA"; else printf "%.1f", x * 1000}'; }

has_target() { [[ " $TARGETS " == *" $1 "* ]]; }

if [[ -n "${LOADS// /}" ]]; then
  echo
  echo "== medians over $RUNS run(s); ratio = etcd-ts / etcd (writes/s: higher is better; the rest: lower is better)"
fi
TABLE="$OUT/table.md"
: >"$TABLE"
if [[ -n "${LOADS// /}" ]]; then
  echo "| load | metric | etcd 3.6 | etcd-ts | etcd-ts / etcd |" >>"$TABLE"
  echo "|---|---|---:|---:|---:|" >>"$TABLE"
fi
for load in $LOADS; do
  declare -A v=()
  for target in etcd etcd-ts; do
    if has_target "$target"; then
      v[$target.tput]="$(median "$load" "$target" 5)"
      v[$target.slowest]="$(median "$load" "$target" 6)"
      v[$target.stddev]="$(median "$load" "$target" 7)"
      v[$target.cpu]="$(median "$load" "$target" 9)"
      v[$target.rss]="$(median "$load" "$target" 10)"
      v[$target.loop99]="$(median "$load" "$target" 11)"
      v[$target.loopmax]="$(median "$load" "$target" 12)"
      v[$target.pass]="$(passes "$load" "$target")"
    else
      for m in tput slowest stddev cpu rss loop99 loopmax; do v[$target.$m]=NA; done
      v[$target.pass]="-"
    fi
  done
  {
    echo "| $load | PASS runs | ${v[etcd.pass]} | ${v[etcd-ts.pass]} | |"
    echo "| $load | throughput (writes/s) | $(fmt "${v[etcd.tput]}" %.0f) | $(fmt "${v[etcd-ts.tput]}" %.0f) | $(ratio "${v[etcd-ts.tput]}" "${v[etcd.tput]}") |"
    echo "| $load | slowest request (ms) | $(ms "${v[etcd.slowest]}") | $(ms "${v[etcd-ts.slowest]}") | $(ratio "${v[etcd-ts.slowest]}" "${v[etcd.slowest]}") |"
    echo "| $load | latency stddev (ms) | $(ms "${v[etcd.stddev]}") | $(ms "${v[etcd-ts.stddev]}") | $(ratio "${v[etcd-ts.stddev]}" "${v[etcd.stddev]}") |"
    echo "| $load | server CPU (s per 60 s run) | $(fmt "${v[etcd.cpu]}" %.1f) | $(fmt "${v[etcd-ts.cpu]}" %.1f) | $(ratio "${v[etcd-ts.cpu]}" "${v[etcd.cpu]}") |"
    echo "| $load | server peak RSS (MB) | $(fmt "${v[etcd.rss]}" %.0f) | $(fmt "${v[etcd-ts.rss]}" %.0f) | $(ratio "${v[etcd-ts.rss]}" "${v[etcd.rss]}") |"
    if [[ "${v[etcd-ts.loop99]}" != NA ]]; then
      echo "| $load | event-loop delay beyond 10 ms p99 / max (ms, etcd-ts only) | | $(fmt "${v[etcd-ts.loop99]}" %.1f) / $(fmt "${v[etcd-ts.loopmax]}" %.1f) | |"
    fi
  } >>"$TABLE"
  unset v
done
if [[ -s "$LATENCY" ]]; then
  # latency.tsv columns: run target op mean p50 p99 max (ms)
  {
    [[ -s "$TABLE" ]] && echo
    echo "| single client, sequential (ms) | etcd 3.6 p50 | etcd-ts p50 | ratio | etcd 3.6 p99 | etcd-ts p99 | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
  } >>"$TABLE"
  for op in put range range-serializable put-steady range-steady range-serializable-steady; do
    grep -q "	$op	" "$LATENCY" || continue
    lmed() {
      awk -F'\t' -v t="$1" -v o="$op" -v c="$2" '$2 == t && $3 == o {print $c}' "$LATENCY" | sort -g |
        awk '{v[NR] = $1} END {if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
    }
    e50="$(lmed etcd 5)"; t50="$(lmed etcd-ts 5)"; e99="$(lmed etcd 6)"; t99="$(lmed etcd-ts 6)"
    echo "| $op | $(fmt "$e50" %.2f) | $(fmt "$t50" %.2f) | $(ratio "$t50" "$e50") | $(fmt "$e99" %.2f) | $(fmt "$t99" %.2f) | $(ratio "$t99" "$e99") |" >>"$TABLE"
  done
  if grep -q "	put-steady	" "$LATENCY"; then
    printf '\n*-steady*: a second run on the same member right after the first, each operation warmed up %s times first.\n' "$LAT_STEADY" >>"$TABLE"
  fi
fi

for kind in watch lease read; do
  [[ -s "$OUT/$kind.files" ]] || continue
  case "$kind" in
    watch) what="watchbench $WATCH_ARGS" ;;
    lease) what="leasebench ${LEASE_ARGS:-(defaults: 10000 leases, 4 streams, window 256, 20 s; revoke with 10000 keys)}" ;;
    read) what="readbench ${READ_ARGS:-(defaults: 200 readers, 8 connections, 10 s per kind, 1000 keys of 256 B)}" ;;
  esac
  {
    [[ -s "$TABLE" ]] && echo
    echo "$kind bench ($what; medians of $RUNS run(s); ratio = etcd-ts / etcd):"
    echo
    # shellcheck disable=SC2046
    node dist/test/bench/json-summary.js --kind "$kind" $(cat "$OUT/$kind.files")
  } >>"$TABLE"
done

CL_NOTE=""
((CLUSTER > 1)) && CL_NOTE=", $CLUSTER-member clusters (CPU summed over members, RSS of the largest)"
echo
echo "Markdown (etcdctl $("$ETCDCTL" version | awk 'NR == 1 {print $3}') check perf, $(nproc) cores, medians of $RUNS run(s)$CL_NOTE, $(date -u +%Y-%m-%d)):"
echo
cat "$TABLE"

if [[ "${BENCH_SNAPSHOT:-0}" == 1 ]]; then
  echo
  echo "== snapshot save (BENCH_SNAPSHOT=1, ${BENCH_SNAPSHOT_MB:-1024} MB)"
  node "$REPO/dist/test/bench/snapshot-bench.js" --mb "${BENCH_SNAPSHOT_MB:-1024}"
fi

if [[ "$SCALE" == 1 ]]; then
  echo
  echo "== scale (BENCH_SCALE=1, $SCALE_KEYS keys of $SCALE_VALUE bytes; raw results in $OUT/scale.jsonl)"
  node "$REPO/dist/test/bench/scale-bench.js" --keys "$SCALE_KEYS" --value "$SCALE_VALUE" --targets "$TARGETS" --out "$OUT"
fi
