// Command leasebench measures two lease paths.
//
// 1. Keep-alive throughput: grant -leases leases (TTL -ttl), then open -streams raw LeaseKeepAlive
// gRPC streams (etcdserverpb, as clientv3's lessor uses them) and for -duration keep each stream
// busy with up to -window requests in flight, cycling through that stream's share of the leases;
// reports sustained renewals (responses with TTL > 0) per second and any renewal that failed.
//
// 2. Revocation: grant one lease, attach -keys keys to it, watch the prefix, then LeaseRevoke it;
// reports the time to the LeaseRevoke response, the time until the watcher saw every delete, and
// in how many revisions the deletes arrived (etcd deletes them all in one).
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 leasebench [-leases 10000 -streams 4 -duration 20s -keys 10000]
//
// stderr carries progress; stdout ends with one JSON line of results.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"etcd-ts/test/go/internal/etcdenv"
)

func logf(f string, a ...any) { fmt.Fprintf(os.Stderr, "leasebench: "+f+"\n", a...) }

func main() {
	nLeases := flag.Int("leases", 10000, "leases to keep alive")
	ttl := flag.Int64("ttl", 600, "lease TTL (s)")
	nStreams := flag.Int("streams", 4, "LeaseKeepAlive streams")
	window := flag.Int("window", 256, "keep-alive requests in flight per stream")
	duration := flag.Duration("duration", 20*time.Second, "keep-alive measuring time")
	nKeys := flag.Int("keys", 10000, "keys attached to the revoked lease")
	conc := flag.Int("concurrency", 64, "concurrent grants / puts while setting up")
	prefix := flag.String("prefix", "/leasebench/", "key prefix for the revocation test")
	skipKA := flag.Bool("skip-keepalive", false, "skip the keep-alive part")
	skipRevoke := flag.Bool("skip-revoke", false, "skip the revocation part")
	flag.Parse()

	cli := etcdenv.MustClient()
	defer cli.Close()
	res := map[string]any{"leases": *nLeases, "streams": *nStreams, "window": *window, "keys": *nKeys}

	// parallel runs f(i) for i in [0,n) on conc goroutines; returns the number of errors.
	parallel := func(n int, f func(i int) error) int64 {
		var next, errs int64 = -1, 0
		var wg sync.WaitGroup
		for g := 0; g < *conc; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(atomic.AddInt64(&next, 1))
					if i >= n {
						return
					}
					if err := f(i); err != nil {
						if atomic.AddInt64(&errs, 1) <= 3 {
							logf("error: %v", err)
						}
					}
				}
			}()
		}
		wg.Wait()
		return errs
	}

	if !*skipKA {
		ids := make([]int64, *nLeases)
		t0 := time.Now()
		errs := parallel(*nLeases, func(i int) error {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := cli.Grant(ctx, *ttl)
			if err == nil {
				ids[i] = int64(r.ID)
			}
			return err
		})
		res["grant_s"] = time.Since(t0).Seconds()
		res["grant_errors"] = errs
		res["grants_per_s"] = float64(*nLeases) / time.Since(t0).Seconds()
		logf("granted %d leases in %.1fs (%d errors)", *nLeases, res["grant_s"], errs)

		lc := pb.NewLeaseClient(cli.ActiveConnection())
		ctx, cancel := context.WithCancel(context.Background())
		var ok, failed, sent int64
		var measuring atomic.Bool
		var wg sync.WaitGroup
		lats := make([][]float64, *nStreams)
		for s := 0; s < *nStreams; s++ {
			stream, err := lc.LeaseKeepAlive(ctx)
			if err != nil {
				logf("LeaseKeepAlive: %v", err)
				os.Exit(1)
			}
			var mine []int64
			for i := s; i < *nLeases; i += *nStreams {
				if ids[i] != 0 {
					mine = append(mine, ids[i])
				}
			}
			sem := make(chan time.Time, *window)
			wg.Add(2)
			go func() { // sender
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					select {
					case sem <- time.Now():
					case <-ctx.Done():
						return
					}
					if err := stream.Send(&pb.LeaseKeepAliveRequest{ID: mine[i%len(mine)]}); err != nil {
						return
					}
					atomic.AddInt64(&sent, 1)
				}
			}()
			go func(s int) { // receiver
				defer wg.Done()
				for {
					r, err := stream.Recv()
					if err != nil {
						return
					}
					var t time.Time
					select {
					case t = <-sem:
					default:
					}
					if measuring.Load() {
						if r.TTL > 0 {
							atomic.AddInt64(&ok, 1)
						} else {
							atomic.AddInt64(&failed, 1)
						}
						if !t.IsZero() && len(lats[s]) < 1_000_000 {
							lats[s] = append(lats[s], float64(time.Since(t).Microseconds())/1000)
						}
					}
				}
			}(s)
		}
		time.Sleep(2 * time.Second) // warm-up
		measuring.Store(true)
		t1 := time.Now()
		time.Sleep(*duration)
		measuring.Store(false)
		el := time.Since(t1).Seconds()
		cancel()
		wg.Wait()
		var all []float64
		for _, l := range lats {
			all = append(all, l...)
		}
		sort.Float64s(all)
		q := func(p float64) float64 {
			if len(all) == 0 {
				return -1
			}
			return all[int(p*float64(len(all)-1))]
		}
		res["keepalives_per_s"] = float64(ok) / el
		res["keepalive_failed"] = failed
		res["keepalive_rtt_p50_ms"], res["keepalive_rtt_p99_ms"] = q(0.5), q(0.99)
		logf("keep-alive: %.0f renewals/s over %.1fs on %d streams (failed %d), rtt p50 %.2f ms p99 %.2f ms",
			res["keepalives_per_s"], el, *nStreams, failed, res["keepalive_rtt_p50_ms"], res["keepalive_rtt_p99_ms"])

		// Every lease must still be alive with a sensible TTL.
		var dead int64
		sample := *nLeases
		if sample > 200 {
			sample = 200
		}
		for i := 0; i < sample; i++ {
			id := ids[i*(*nLeases)/sample]
			ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			r, err := cli.TimeToLive(ctx, clientv3.LeaseID(id))
			c()
			if err != nil || r.TTL <= 0 {
				dead++
			}
		}
		res["keepalive_dead_sampled"] = dead
		// Clean up so the revocation test starts with a small lease set.
		t2 := time.Now()
		parallel(*nLeases, func(i int) error {
			if ids[i] == 0 {
				return nil
			}
			ctx, c := context.WithTimeout(context.Background(), 10*time.Second)
			defer c()
			_, err := cli.Revoke(ctx, clientv3.LeaseID(ids[i]))
			return err
		})
		res["revoke_all_s"] = time.Since(t2).Seconds()
	}

	if !*skipRevoke {
		ctx := context.Background()
		g, err := cli.Grant(ctx, *ttl)
		if err != nil {
			logf("grant: %v", err)
			os.Exit(1)
		}
		t0 := time.Now()
		errs := parallel(*nKeys, func(i int) error {
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, err := cli.Put(c, fmt.Sprintf("%s%06d", *prefix, i), "v", clientv3.WithLease(g.ID))
			return err
		})
		res["attach_s"] = time.Since(t0).Seconds()
		res["attach_errors"] = errs
		logf("attached %d keys in %.1fs (%d errors)", *nKeys, res["attach_s"], errs)
		ttlr, err := cli.TimeToLive(ctx, g.ID, clientv3.WithAttachedKeys())
		if err == nil {
			res["attached_keys_reported"] = len(ttlr.Keys)
		}
		wctx, wcancel := context.WithCancel(ctx)
		wch := cli.Watch(wctx, *prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
		<-wch // created
		seen := make(chan struct{})
		var deletes, batches int64
		revs := map[int64]int{}
		var tAll time.Time
		go func() {
			for resp := range wch {
				batches++
				for _, ev := range resp.Events {
					if ev.Type == clientv3.EventTypeDelete {
						deletes++
						revs[ev.Kv.ModRevision]++
					}
				}
				if deletes >= int64(*nKeys) {
					tAll = time.Now()
					close(seen)
					return
				}
			}
		}()
		t1 := time.Now()
		_, err = cli.Revoke(ctx, g.ID)
		tResp := time.Since(t1)
		if err != nil {
			logf("revoke: %v", err)
			res["revoke_error"] = err.Error()
		}
		select {
		case <-seen:
			res["revoke_watch_all_ms"] = float64(tAll.Sub(t1).Microseconds()) / 1000
		case <-time.After(60 * time.Second):
			res["revoke_watch_all_ms"] = -1
		}
		wcancel()
		res["revoke_rpc_ms"] = float64(tResp.Microseconds()) / 1000
		res["revoke_deletes_seen"] = deletes
		res["revoke_delete_revisions"] = len(revs)
		res["revoke_watch_responses"] = batches
		gr, _ := cli.Get(ctx, *prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		if gr != nil {
			res["keys_left"] = gr.Count
		}
		logf("revoke of a lease with %d keys: response after %.1f ms, watch saw %d deletes in %d revision(s) after %.1f ms",
			*nKeys, res["revoke_rpc_ms"], deletes, len(revs), res["revoke_watch_all_ms"])
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
