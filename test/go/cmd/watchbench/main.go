// Command watchbench measures watch fan-out: W watchers of one prefix spread over S gRPC watch
// streams (one clientv3.NewWatcher per stream, all on one client connection), while a paced writer
// puts to that prefix. Every value carries its send time, so each delivered event gives a delivery
// latency. It also checks that every watcher receives every acknowledged put exactly once (no
// loss, no duplicate, revisions strictly increasing), and measures the writer's put latency with
// no watcher (phase 1) and with all the watchers (phase 2).
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 watchbench -watchers 10000 -streams 100 -rate 200 -duration 30s [-pid N] [-watchers-priority idle|low|normal]
//
// The writer runs in this process; the watchers run in a child process (this program again, with
// -watch-child), by default under SCHED_IDLE (`chrt --idle 0`; -watchers-priority low = nice 19,
// normal = the writer's priority). On a small machine the client decoding W events per put
// competes for the same cores as the server and the writer, which production clients on other
// machines do not; giving it only the CPU the others leave keeps "writer slowed by watchers" to
// what the SERVER does for the watchers (fan-out, encoding, socket writes), for every server alike. The child reports on stdout: a "ready {json}" line
// once every watcher is created, then, after the parent writes "done <acked> <errors>" to its
// stdin, a "result {json}" line when delivery is complete (or -drain passed).
//
// -pid is the server's pid (same machine): its RSS is read from /proc at the phase boundaries.
// stderr carries progress; stdout ends with one JSON line of results.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"etcd-ts/test/go/internal/etcdenv"
)

// hist is a latency histogram in microseconds: 10 us buckets up to 10 ms, 1 ms buckets up to 60 s.
type hist struct{ b []uint64 }

const fineN, coarseN = 1000, 60000

func newHist() *hist { return &hist{b: make([]uint64, fineN+coarseN+1)} }
func idx(us int64) int {
	if us < 0 {
		us = 0
	}
	if us < 10*fineN {
		return int(us / 10)
	}
	i := fineN + int((us-10*fineN)/1000)
	if i > fineN+coarseN {
		i = fineN + coarseN
	}
	return i
}
func upper(i int) float64 { // bucket upper bound in ms
	if i < fineN {
		return float64((i+1)*10) / 1000
	}
	return 10 + float64(i-fineN+1)
}
func (h *hist) add(us int64) { atomic.AddUint64(&h.b[idx(us)], 1) }
func (h *hist) merge(o *hist) {
	for i := range o.b {
		h.b[i] += atomic.LoadUint64(&o.b[i])
	}
}
func (h *hist) quantile(q float64) float64 {
	var n uint64
	for _, c := range h.b {
		n += c
	}
	if n == 0 {
		return -1
	}
	want := uint64(q*float64(n) + 0.5)
	if want < 1 {
		want = 1
	}
	var acc uint64
	for i, c := range h.b {
		acc += c
		if acc >= want {
			return upper(i)
		}
	}
	return upper(len(h.b) - 1)
}

func rssMB(pid int, field string) float64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func pct(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return -1
	}
	sort.Float64s(xs)
	i := int(q*float64(len(xs))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(xs) {
		i = len(xs) - 1
	}
	return xs[i]
}

// putLoad puts to prefix at rate/s for d; values are "<unixnano> <seq>". Returns put latencies (ms),
// the number of acknowledged puts and errors.
func putLoad(cli *clientv3.Client, prefix string, rate int, d time.Duration, maxInFlight int) ([]float64, int, int) {
	trace := os.Getenv("WATCHBENCH_TRACE_PUTS") != ""
	var mu sync.Mutex
	var lats []float64
	acked, errs := 0, 0
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for seq := 0; ; seq++ {
		at := start.Add(time.Duration(seq) * interval)
		if at.Sub(start) >= d {
			break
		}
		if w := time.Until(at); w > 0 {
			time.Sleep(w)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(seq int) {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := cli.Put(ctx, fmt.Sprintf("%s%08d", prefix, seq), fmt.Sprintf("%d %d", t0.UnixNano(), seq))
			cancel()
			ms := float64(time.Since(t0).Microseconds()) / 1000
			if trace {
				fmt.Fprintf(os.Stderr, "put %s%08d at %d us: %.2f ms\n", prefix, seq, t0.UnixMicro(), ms)
			}
			mu.Lock()
			if err != nil {
				errs++
			} else {
				acked++
				lats = append(lats, ms)
			}
			mu.Unlock()
		}(seq)
	}
	wg.Wait()
	return lats, acked, errs
}

type watcherState struct {
	count   int64
	lastRev int64
	dups    int64
	bad     int64
}

func logf(f string, a ...any) { fmt.Fprintf(os.Stderr, "watchbench: "+f+"\n", a...) }

func main() {
	nWatchers := flag.Int("watchers", 10000, "watchers (all on one prefix)")
	nStreams := flag.Int("streams", 100, "gRPC watch streams to spread the watchers over")
	rate := flag.Int("rate", 200, "puts per second")
	duration := flag.Duration("duration", 30*time.Second, "length of each put phase")
	inflight := flag.Int("inflight", 64, "max puts in flight")
	pid := flag.Int("pid", 0, "server pid for RSS (same machine); 0 = none")
	prefix := flag.String("prefix", "/watchbench/", "key prefix")
	drain := flag.Duration("drain", 60*time.Second, "max wait for watchers to catch up after the last put")
	skipBaseline := flag.Bool("skip-baseline", false, "skip phase 1 (puts without watchers)")
	prio := flag.String("watchers-priority", "idle", "CPU priority of the watchers' process: idle (SCHED_IDLE), low (nice 19) or normal")
	child := flag.Bool("watch-child", false, "internal: be the watchers' process")
	idlePhase := flag.Bool("idle-phase", false, "also measure puts to an unwatched prefix while the watchers exist (phase 1b)")
	flag.Parse()

	if *child {
		watchChild(*nWatchers, *nStreams, *prefix, *drain)
		return
	}

	pcli := etcdenv.MustClient()
	defer pcli.Close()
	res := map[string]any{"watchers": *nWatchers, "streams": *nStreams, "rate": *rate, "duration_s": duration.Seconds(), "watchers_priority": *prio}
	res["rss_start_mb"] = rssMB(*pid, "VmRSS")

	// Phase 1: puts without watchers (different prefix, nobody watches it).
	if !*skipBaseline {
		lats, acked, errs := putLoad(pcli, strings.TrimSuffix(*prefix, "/")+"-baseline/", *rate, *duration, *inflight)
		res["base_put_p50_ms"], res["base_put_p99_ms"] = pct(lats, 0.5), pct(lats, 0.99)
		res["base_put_acked"], res["base_put_errors"] = acked, errs
		logf("phase 1 (no watchers): %d puts acked, %d errors, p50 %.2f ms p99 %.2f ms", acked, errs, res["base_put_p50_ms"], res["base_put_p99_ms"])
	}

	// The watchers' process.
	self, err := os.Executable()
	if err != nil {
		logf("executable: %v", err)
		os.Exit(1)
	}
	args := []string{self, "-watch-child", "-watchers", strconv.Itoa(*nWatchers),
		"-streams", strconv.Itoa(*nStreams), "-prefix", *prefix, "-drain", drain.String()}
	switch *prio {
	case "idle":
		args = append([]string{"chrt", "--idle", "0"}, args...)
	case "low":
		args = append([]string{"nice", "-n", "19"}, args...)
	case "normal":
	default:
		logf("-watchers-priority must be idle, low or normal")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf("stdin pipe: %v", err)
		os.Exit(1)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf("stdout pipe: %v", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		logf("start the watchers' process: %v", err)
		os.Exit(1)
	}
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	readMsg := func(tag string) map[string]any {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), tag+" "); ok {
				m := map[string]any{}
				if err := json.Unmarshal([]byte(rest), &m); err != nil {
					logf("bad %s line from the watchers' process: %v", tag, err)
					os.Exit(1)
				}
				return m
			}
		}
		logf("the watchers' process ended before its %q line (%v)", tag, cmd.Wait())
		os.Exit(1)
		return nil
	}
	for k, v := range readMsg("ready") {
		res[k] = v
	}
	res["rss_watchers_idle_mb"] = rssMB(*pid, "VmRSS")
	if *idlePhase {
		lats, acked, errs := putLoad(pcli, strings.TrimSuffix(*prefix, "/")+"-idle/", *rate, *duration, *inflight)
		res["idle_put_p50_ms"], res["idle_put_p99_ms"] = pct(lats, 0.5), pct(lats, 0.99)
		logf("phase 1b (watchers exist, unwatched prefix): %d puts acked, %d errors, p50 %.2f ms p99 %.2f ms", acked, errs, res["idle_put_p50_ms"], res["idle_put_p99_ms"])
	}

	// Phase 2: the same put load with all the watchers.
	lats, acked, errs := putLoad(pcli, *prefix, *rate, *duration, *inflight)
	res["put_p50_ms"], res["put_p99_ms"] = pct(lats, 0.5), pct(lats, 0.99)
	res["put_acked"], res["put_errors"] = acked, errs
	res["rss_after_load_mb"] = rssMB(*pid, "VmRSS")
	logf("phase 2 (watchers): %d puts acked, %d errors, p50 %.2f ms p99 %.2f ms", acked, errs, res["put_p50_ms"], res["put_p99_ms"])

	fmt.Fprintf(stdin, "done %d %d\n", acked, errs)
	for k, v := range readMsg("result") {
		res[k] = v
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		logf("the watchers' process: %v", err)
	}
	res["exact"] = errs == 0 && res["exact_delivery"] == true
	delete(res, "exact_delivery")
	res["rss_peak_mb"] = rssMB(*pid, "VmHWM")
	if b, ok := res["base_put_p99_ms"].(float64); ok && b > 0 {
		res["put_p99_slowdown"] = res["put_p99_ms"].(float64) / b
		res["put_p50_slowdown"] = res["put_p50_ms"].(float64) / res["base_put_p50_ms"].(float64)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

// watchChild is the watchers' process: creates the watchers, says "ready", waits for
// "done <acked> <errors>" on stdin, waits for delivery and says "result".
func watchChild(nWatchers, nStreams int, prefix string, drain time.Duration) {
	wcli := etcdenv.MustClient()
	defer wcli.Close()
	t0 := time.Now()
	ctx, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()
	hists := make([]*hist, nStreams)
	states := make([]*watcherState, nWatchers)
	var created sync.WaitGroup
	var createErrs, canceled int64
	for s := 0; s < nStreams; s++ {
		hists[s] = newHist()
		w := clientv3.NewWatcher(wcli)
		defer w.Close()
		for i := s; i < nWatchers; i += nStreams {
			st := &watcherState{}
			states[i] = st
			created.Add(1)
			go func(h *hist, st *watcherState) {
				ch := w.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
				first := true
				for resp := range ch {
					if first {
						first = false
						if !resp.Created {
							atomic.AddInt64(&createErrs, 1)
						}
						created.Done()
					}
					if resp.Canceled {
						atomic.AddInt64(&canceled, 1)
					}
					now := time.Now().UnixNano()
					for _, ev := range resp.Events {
						rev := ev.Kv.ModRevision
						if rev <= st.lastRev {
							atomic.AddInt64(&st.dups, 1)
							continue
						}
						st.lastRev = rev
						f := strings.SplitN(string(ev.Kv.Value), " ", 2)
						ts, err := strconv.ParseInt(f[0], 10, 64)
						if err != nil || ev.Type != clientv3.EventTypePut {
							atomic.AddInt64(&st.bad, 1)
							continue
						}
						h.add((now - ts) / 1000)
						atomic.AddInt64(&st.count, 1)
					}
				}
				if first {
					atomic.AddInt64(&createErrs, 1)
					created.Done()
				}
			}(hists[s], st)
		}
	}
	created.Wait()
	ready, _ := json.Marshal(map[string]any{"watch_create_s": time.Since(t0).Seconds(), "watch_create_errors": createErrs})
	fmt.Printf("ready %s\n", ready)
	logf("%d watchers on %d streams created in %.1fs (errors %d)", nWatchers, nStreams, time.Since(t0).Seconds(), createErrs)

	var acked, errs int
	if _, err := fmt.Fscanf(bufio.NewReader(os.Stdin), "done %d %d\n", &acked, &errs); err != nil {
		logf("watchers' process: reading the writer's count: %v", err)
		os.Exit(1)
	}

	// Wait for delivery to finish (errored puts may or may not have been applied).
	expectedMin := int64(acked) * int64(nWatchers)
	expectedMax := int64(acked+errs) * int64(nWatchers)
	deadline := time.Now().Add(drain)
	tDrain := time.Now()
	var got int64
	for {
		got = 0
		for _, st := range states {
			got += atomic.LoadInt64(&st.count)
		}
		if got >= expectedMax || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if errs > 0 && got < expectedMax && got >= expectedMin {
		time.Sleep(2 * time.Second)
	}
	res := map[string]any{"drain_s": time.Since(tDrain).Seconds()}
	cancelAll()
	var dups, bad, short, long int64
	got = 0
	for _, st := range states {
		c := atomic.LoadInt64(&st.count)
		got += c
		dups += atomic.LoadInt64(&st.dups)
		bad += atomic.LoadInt64(&st.bad)
		if c < int64(acked) {
			short++
		}
		if c > int64(acked+errs) {
			long++
		}
	}
	total := newHist()
	for _, h := range hists {
		total.merge(h)
	}
	res["events_expected"] = expectedMin
	res["events_received"] = got
	res["events_duplicate"] = dups
	res["events_bad"] = bad
	res["watchers_short"] = short
	res["watchers_over"] = long
	res["watch_canceled"] = canceled
	res["exact_delivery"] = got == expectedMin && dups == 0 && bad == 0 && short == 0 && long == 0 && canceled == 0
	res["event_p50_ms"], res["event_p99_ms"], res["event_max_ms"] = total.quantile(0.5), total.quantile(0.99), total.quantile(1)
	logf("events received %d / expected %d (dups %d, short watchers %d), latency p50 %.2f ms p99 %.2f ms max %.0f ms",
		got, expectedMin, dups, short, res["event_p50_ms"], res["event_p99_ms"], res["event_max_ms"])
	out, _ := json.Marshal(res)
	fmt.Printf("result %s\n", out)
}
