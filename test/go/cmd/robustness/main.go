// Command robustness drives randomized clientv3 traffic at a cluster while something else (the
// node orchestration in test/robustness) injects faults, then checks the recorded history:
// linearizability with porcupine (a non-deterministic model for requests whose outcome is
// unknown), the watch guarantees against the history, and that every member ends with the same
// revision, HashKV and keys.
//
//	robustness -endpoints a:1,b:2 -seed 42 -out DIR [-clients-per-member 2] [-qps 150]
//
// Traffic runs until a line "stop" arrives on stdin (or stdin closes, or -max-duration passes).
// The last line on stdout is "RESULT <json>". Files written to -out: history.json, watches.json,
// result.json, and history.html (porcupine's visualisation) when the history is not
// linearizable or -viz is given.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

type Result struct {
	Seed           int64    `json:"seed"`
	Operations     int64    `json:"operations"`
	Records        int      `json:"records"`
	Writes         int      `json:"writes"`
	Unknown        int      `json:"unknown"`
	UnknownPatched int      `json:"unknownResolvedByWatch"`
	FinalRev       int64    `json:"finalRevision"`
	WatchEvents    int      `json:"watchEvents"`
	ResumeWatches  int      `json:"resumeWatches"`
	Linearizable   string   `json:"linearizable"`
	CheckSeconds   float64  `json:"checkSeconds"`
	Problems       []string `json:"problems"`
}

func main() {
	endpoints := flag.String("endpoints", "", "comma-separated client endpoints, one per member")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("out", ".", "directory for the history files")
	perMember := flag.Int("clients-per-member", 2, "concurrent clients per member")
	qps := flag.Int("qps", 150, "overall request rate limit (0: unlimited)")
	timeout := flag.Duration("timeout", 2*time.Second, "per-request timeout")
	maxDuration := flag.Duration("max-duration", time.Hour, "stop traffic after this long even without 'stop'")
	checkTimeout := flag.Duration("check-timeout", 120*time.Second, "porcupine time limit")
	viz := flag.Bool("viz", false, "always write history.html")
	dir := flag.String("check-dir", "", "only re-check the run saved in this folder (no cluster)")
	flag.Parse()
	if *dir != "" {
		b, _ := json.Marshal(checkDir(*dir, *checkTimeout))
		fmt.Printf("RESULT %s\n", b)
		return
	}
	eps := strings.Split(*endpoints, ",")
	if *endpoints == "" {
		fmt.Fprintln(os.Stderr, "-endpoints is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	res := run(eps, *seed, *out, *perMember, *qps, *timeout, *maxDuration, *checkTimeout, *viz)
	b, _ := json.Marshal(res)
	_ = os.WriteFile(filepath.Join(*out, "result.json"), b, 0o644)
	fmt.Printf("RESULT %s\n", b)
}

func newClient(eps []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		DialKeepAliveTime: 2 * time.Second, DialKeepAliveTimeout: 2 * time.Second})
}

func run(eps []string, seed int64, out string, perMember, qps int, timeout, maxDuration, checkTimeout time.Duration, viz bool) *Result {
	res := &Result{Seed: seed, Problems: []string{}}
	problem := func(f string, a ...any) { res.Problems = append(res.Problems, fmt.Sprintf(f, a...)) }
	hist := &History{start: time.Now()}
	rw := &ResumeWatches{h: hist}
	ctx, stop := context.WithCancel(context.Background())
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "stop" {
				break
			}
		}
		stop()
	}()
	go func() {
		select {
		case <-time.After(maxDuration):
			stop()
		case <-ctx.Done():
		}
	}()

	// Watchers: one per member, from revision 1, running until after the final revision is seen.
	wctx, wstop := context.WithCancel(context.Background())
	var wwg sync.WaitGroup
	var watchers []*Watcher
	var clis []*clientv3.Client
	defer func() {
		for _, c := range clis {
			c.Close()
		}
	}()
	for i, ep := range eps {
		cli, err := newClient([]string{ep})
		if err != nil {
			problem("watch client for %s: %v", ep, err)
			continue
		}
		clis = append(clis, cli)
		w := &Watcher{Name: fmt.Sprintf("w%d", i), Member: ep, StartRev: 1}
		watchers = append(watchers, w)
		wwg.Add(1)
		go func() { defer wwg.Done(); w.run(wctx, cli, hist) }()
	}

	// Traffic.
	var ticket chan struct{}
	if qps > 0 {
		ticket = make(chan struct{}, 1)
		go func() {
			t := time.NewTicker(time.Second / time.Duration(qps))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					close(ticket)
					return
				case <-t.C:
					select {
					case ticket <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	var ops int64
	var twg sync.WaitGroup
	for i := 0; i < perMember*len(eps); i++ {
		ep := eps[i%len(eps)]
		cli, err := newClient([]string{ep})
		if err != nil {
			problem("client for %s: %v", ep, err)
			continue
		}
		clis = append(clis, cli)
		c := &client{id: i, member: ep, cli: cli, rnd: rand.New(rand.NewSource(seed*1000 + int64(i))), hist: hist, timeout: timeout, resume: rw, ops: &ops}
		twg.Add(1)
		go func() {
			defer twg.Done()
			for ctx.Err() == nil {
				if ticket != nil {
					if _, ok := <-ticket; !ok {
						return
					}
				}
				c.one(ctx)
			}
		}()
	}
	<-ctx.Done()
	twg.Wait()
	res.Operations = atomic.LoadInt64(&ops)

	// The final revision: a linearizable read through any member.
	all, err := newClient(eps)
	if err != nil {
		problem("client: %v", err)
		wstop()
		return res
	}
	clis = append(clis, all)
	var finalRev int64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r, err := all.Get(c, keyPrefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		cancel()
		if err == nil {
			finalRev = r.Header.Revision
			break
		}
	}
	res.FinalRev = finalRev
	if finalRev == 0 {
		problem("no linearizable read succeeded after the traffic stopped")
	}
	// Wait for every watcher to reach the final revision.
	caughtUp := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		caughtUp = true
		for _, w := range watchers {
			if w.lastRev() < finalRev {
				caughtUp = false
			}
		}
		if caughtUp {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // anything beyond the final revision would show up now
	wstop()
	wwg.Wait()
	if !caughtUp {
		for _, w := range watchers {
			if l := w.lastRev(); l < finalRev {
				problem("watch %s (%s) stopped at revision %d, final revision is %d", w.Name, w.Member, l, finalRev)
			}
		}
	}

	hist.mu.Lock()
	records := append([]Record{}, hist.records...)
	hist.mu.Unlock()
	res.Records = len(records)
	writeJSON(filepath.Join(out, "history.json"), records)
	writeJSON(filepath.Join(out, "watches.json"), map[string]any{"long": watchers, "resume": rw.Watches})
	res.ResumeWatches = len(rw.Watches)

	ref, watchOK := checkHistory(res, records, watchers, rw.Watches, finalRev, caughtUp, out, checkTimeout, viz)

	// Every member: same revision, HashKV and keys, and the keys the history ends with.
	finalState := ref.stateAt(ref.Max)
	var want []KVOut
	for _, kv := range finalState {
		if kv != nil {
			want = append(want, *kv)
		}
	}
	if p := checkMembers(eps, finalRev, want, watchOK); p != nil {
		res.Problems = append(res.Problems, p...)
	}
	return res
}

func checkMembers(eps []string, finalRev int64, want []KVOut, checkKeys bool) []string {
	var last []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var problems []string
		var revs []int64
		var hashes []uint32
		for _, ep := range eps {
			cli, err := newClient([]string{ep})
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", ep, err))
				continue
			}
			c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			st, err := cli.Status(c, ep)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: status: %v", ep, err))
				cancel()
				cli.Close()
				continue
			}
			revs = append(revs, st.Header.Revision)
			h, err := cli.HashKV(c, ep, finalRev)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: hashkv: %v", ep, err))
			} else {
				hashes = append(hashes, h.Hash)
			}
			g, err := cli.Get(c, keyPrefix, clientv3.WithPrefix(), clientv3.WithSerializable())
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: get: %v", ep, err))
			} else if checkKeys && !kvsEqual(kvOuts(g.Kvs), want) {
				problems = append(problems, fmt.Sprintf("%s: keys %+v, the history ends with %+v", ep, kvOuts(g.Kvs), want))
			}
			cancel()
			cli.Close()
		}
		for i := range revs {
			if revs[i] != finalRev {
				problems = append(problems, fmt.Sprintf("member revisions differ: %v (final %d)", revs, finalRev))
				break
			}
		}
		for i := range hashes {
			if hashes[i] != hashes[0] {
				problems = append(problems, fmt.Sprintf("member HashKV at revision %d differ: %v", finalRev, hashes))
				break
			}
		}
		if len(problems) == 0 {
			return nil
		}
		last = problems
	}
	return last
}

func writeJSON(path string, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		_ = os.WriteFile(path, b, 0o644)
	}
}
