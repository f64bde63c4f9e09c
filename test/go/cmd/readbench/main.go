// readbench: reads under load (issue 19). Puts -keys keys of -value bytes under -prefix, then for
// each of four kinds, linearizable and serializable Ranges of one key and of 100 keys (a prefix
// range with limit 100), runs -clients goroutines for -duration, each doing one Range at a time,
// spread over -conns clientv3 clients (gRPC connections). A short warm-up precedes each kind.
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 readbench [-clients 200 -conns 8 -duration 10s]
//
// stderr carries progress; stdout ends with one JSON line of results: per kind (l1, s1, l100,
// s100) the requests/s, p50/p99/max latency in ms, and errors.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"etcd-ts/test/go/internal/etcdenv"
)

func logf(f string, a ...any) { fmt.Fprintf(os.Stderr, "readbench: "+f+"\n", a...) }

type kind struct {
	name         string
	serializable bool
	many         bool // a 100-key range instead of one key
}

func main() {
	nClients := flag.Int("clients", 200, "concurrent readers (one Range in flight each)")
	conns := flag.Int("conns", 8, "clientv3 clients (gRPC connections) shared by the readers")
	duration := flag.Duration("duration", 10*time.Second, "measuring time per kind")
	warmup := flag.Duration("warmup", 2*time.Second, "unmeasured warm-up per kind")
	nKeys := flag.Int("keys", 1000, "keys written before reading (at least 100)")
	valueSize := flag.Int("value", 256, "value size (bytes)")
	prefix := flag.String("prefix", "/readbench/", "key prefix")
	only := flag.String("kinds", "l1,s1,l100,s100", "comma-separated kinds to run, in the fixed order l1, s1, l100, s100")
	flag.Parse()
	if *nKeys < 100 {
		*nKeys = 100
	}
	clients := etcdenv.MustClients(*conns)
	for _, c := range clients {
		defer c.Close()
	}
	*conns = len(clients)
	key := func(i int) string { return fmt.Sprintf("%s%08d", *prefix, i) }
	val := make([]byte, *valueSize)
	for i := range val {
		val[i] = byte('a' + i%26)
	}
	for i := 0; i < *nKeys; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := clients[i%*conns].Put(ctx, key(i), string(val))
		cancel()
		if err != nil {
			logf("put: %v", err)
			os.Exit(1)
		}
	}
	res := map[string]any{"clients": *nClients, "conns": *conns, "duration_s": duration.Seconds(), "keys": *nKeys, "value_bytes": *valueSize}
	kinds := []kind{{"l1", false, false}, {"s1", true, false}, {"l100", false, true}, {"s100", true, true}}
	var allErrs int64
	for _, k := range kinds {
		if !strings.Contains(","+*only+",", ","+k.name+",") {
			continue
		}
		opts := func(r *rand.Rand) (string, []clientv3.OpOption) {
			var o []clientv3.OpOption
			if k.serializable {
				o = append(o, clientv3.WithSerializable())
			}
			if k.many {
				start := r.Intn(*nKeys - 99)
				return key(start), append(o, clientv3.WithRange(key(start+100)))
			}
			return key(r.Intn(*nKeys)), o
		}
		run(clients, *nClients, *warmup, opts) // warm-up, discarded
		lat, errs, elapsed := run(clients, *nClients, *duration, opts)
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) float64 {
			if len(lat) == 0 {
				return -1
			}
			return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
		}
		rps := float64(len(lat)) / elapsed.Seconds()
		res[k.name+"_rps"] = rps
		res[k.name+"_p50_ms"] = pct(0.50)
		res[k.name+"_p99_ms"] = pct(0.99)
		res[k.name+"_max_ms"] = pct(1)
		res[k.name+"_errors"] = errs
		allErrs += errs
		logf("%s: %.0f requests/s, p50 %.2f ms, p99 %.2f ms, max %.1f ms, %d errors", k.name, rps, pct(0.5), pct(0.99), pct(1), errs)
	}
	res["errors"] = allErrs
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

// run keeps n readers busy for d; returns the latencies of the successful Ranges, the number of
// failed ones and the time taken.
func run(clients []*clientv3.Client, n int, d time.Duration, opts func(*rand.Rand) (string, []clientv3.OpOption)) ([]time.Duration, int64, time.Duration) {
	var errs int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for g := 0; g < n; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g) + 1))
			cli := clients[g%len(clients)]
			var mine []time.Duration
			for time.Now().Before(deadline) {
				k, o := opts(r)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				t0 := time.Now()
				_, err := cli.Get(ctx, k, o...)
				dt := time.Since(t0)
				cancel()
				if err != nil {
					if atomic.AddInt64(&errs, 1) <= 3 {
						logf("range: %v", err)
					}
					continue
				}
				mine = append(mine, dt)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	return all, errs, time.Since(start)
}
