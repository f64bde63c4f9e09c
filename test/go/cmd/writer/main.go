// Command writer drives concurrent clientv3 writers at a cluster given all its endpoints and
// prints every acknowledged put, so a test can check that none is lost across faults.
//
//	ETCD_ENDPOINTS=a:1,b:2,c:3 writer -duration 5s -concurrency 8 -prefix /w/ [-pad 16384]
//
// With -pad N every value is "<value>|" followed by N random hex characters (incompressible for
// LevelDB's snappy); the lines below show <value> only.
//
// Output, one line per event:
//
//	ack <key> <value> <revision>
//	err <key> <value> <error>     (outcome unknown: the put may or may not have happened)
//	done acked=<n> failed=<m>
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"strings"
	"sync"
	"time"

	"etcd-ts/test/go/internal/etcdenv"
)

func main() {
	duration := flag.Duration("duration", 5*time.Second, "how long to write")
	concurrency := flag.Int("concurrency", 8, "concurrent writers")
	prefix := flag.String("prefix", "/writer/", "key prefix")
	timeout := flag.Duration("timeout", 3*time.Second, "per-request timeout")
	pad := flag.Int("pad", 0, "random hex characters appended to every value")
	flag.Parse()

	cli := etcdenv.MustClient()
	defer cli.Close()

	var mu sync.Mutex
	out := func(format string, a ...any) {
		mu.Lock()
		fmt.Printf(format+"\n", a...)
		mu.Unlock()
	}
	deadline := time.Now().Add(*duration)
	var wg sync.WaitGroup
	acked, failed := 0, 0
	for g := 0; g < *concurrency; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				key := fmt.Sprintf("%s%02d/%06d", *prefix, g, i)
				val := fmt.Sprintf("v%d-%d", g, i)
				stored := val
				if *pad > 0 {
					b := make([]byte, (*pad+1)/2)
					_, _ = rand.Read(b)
					stored = val + "|" + hex.EncodeToString(b)[:*pad]
				}
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				resp, err := cli.Put(ctx, key, stored)
				cancel()
				if err != nil {
					out("err %s %s %s", key, val, strings.ReplaceAll(err.Error(), "\n", " "))
					mu.Lock()
					failed++
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
					continue
				}
				out("ack %s %s %d", key, val, resp.Header.Revision)
				mu.Lock()
				acked++
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	out("done acked=%d failed=%d", acked, failed)
}
