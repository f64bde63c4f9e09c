// Command scalewriter loads a large key space for the scale bench (test/bench/scale-bench.ts,
// `BENCH_SCALE=1 npm run bench`): -keys keys named fmt.Sprintf("%s%010d", -prefix, i) for i in
// [0, -keys), each written once by one Put, with a -value byte value, by -concurrency goroutines
// taking the next index from a shared counter, over -conns clientv3 clients (goroutine g uses
// client g % conns). Values are random letters (not compressible to nothing, as real data is not).
// A Put that fails is retried (up to -retries times, 100 ms apart); the run fails if one never
// succeeds. The time starts after every client answered one Get, so it excludes connecting.
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 scalewriter [-keys 1000000 -value 256 -concurrency 64 -conns 8]
//
// stderr carries progress (every 5 s); stdout is one JSON line:
//
//	{"keys":..,"value_bytes":..,"concurrency":..,"conns":..,"seconds":..,"writes_per_s":..,
//	 "retries":..,"failed":..,"first_revision":..,"last_revision":..}
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"etcd-ts/test/go/internal/etcdenv"
)

func logf(f string, a ...any) { fmt.Fprintf(os.Stderr, "scalewriter: "+f+"\n", a...) }

func main() {
	nKeys := flag.Int("keys", 1000000, "keys to write")
	valueSize := flag.Int("value", 256, "value size (bytes)")
	conc := flag.Int("concurrency", 64, "concurrent writers (one Put in flight each)")
	conns := flag.Int("conns", 8, "clientv3 clients (gRPC connections) shared by the writers")
	prefix := flag.String("prefix", "/scale/", "key prefix")
	timeout := flag.Duration("timeout", 30*time.Second, "per-request timeout")
	retries := flag.Int("retries", 10, "retries of a failed Put before giving up")
	flag.Parse()

	clients := etcdenv.MustClients(*conns)
	*conns = len(clients)
	for _, cli := range clients {
		defer cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		_, err := cli.Get(ctx, *prefix+"warm-up")
		cancel()
		if err != nil {
			logf("warm-up Get: %v", err)
			os.Exit(1)
		}
	}

	var next int64 = -1
	var done, retried, failed atomic.Int64
	var firstRev, lastRev atomic.Int64
	firstRev.Store(1<<63 - 1)
	var wg sync.WaitGroup
	t0 := time.Now()
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				n := done.Load()
				logf("%d/%d keys, %.0f writes/s, %d retries", n, *nKeys, float64(n)/time.Since(t0).Seconds(), retried.Load())
			}
		}
	}()
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for g := 0; g < *conc; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			cli := clients[g%len(clients)]
			rng := rand.New(rand.NewPCG(uint64(g), 0x5ca1e))
			val := make([]byte, *valueSize)
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(*nKeys) {
					return
				}
				for j := range val {
					val[j] = letters[rng.IntN(len(letters))]
				}
				key := fmt.Sprintf("%s%010d", *prefix, i)
				for attempt := 0; ; attempt++ {
					ctx, cancel := context.WithTimeout(context.Background(), *timeout)
					resp, err := cli.Put(ctx, key, string(val))
					cancel()
					if err == nil {
						rev := resp.Header.Revision
						for old := firstRev.Load(); rev < old && !firstRev.CompareAndSwap(old, rev); old = firstRev.Load() {
						}
						for old := lastRev.Load(); rev > old && !lastRev.CompareAndSwap(old, rev); old = lastRev.Load() {
						}
						done.Add(1)
						break
					}
					if attempt >= *retries {
						if failed.Add(1) <= 3 {
							logf("giving up on %s: %v", key, err)
						}
						break
					}
					if retried.Add(1) <= 3 {
						logf("retrying %s: %v", key, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}(g)
	}
	wg.Wait()
	close(stop)
	secs := time.Since(t0).Seconds()
	out, _ := json.Marshal(map[string]any{
		"keys":           *nKeys,
		"value_bytes":    *valueSize,
		"concurrency":    *conc,
		"conns":          *conns,
		"seconds":        secs,
		"writes_per_s":   float64(done.Load()) / secs,
		"written":        done.Load(),
		"retries":        retried.Load(),
		"failed":         failed.Load(),
		"first_revision": firstRev.Load(),
		"last_revision":  lastRev.Load(),
	})
	fmt.Println(string(out))
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
