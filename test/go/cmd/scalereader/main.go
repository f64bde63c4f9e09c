// Command scalereader times one Range over the key space scalewriter loaded, for the scale bench
// (test/bench/scale-bench.ts, `BENCH_SCALE=1 npm run bench`). -op selects it:
//
//	count  count-only Range of the prefix (WithCountOnly)
//	first  the first page: Range of the prefix with -limit (default 1000)
//	all    every key and value of the prefix in one Range (the response of 1,000,000 256-byte
//	       values is about 300 MB: the client's max receive size is raised to 2 GiB - 1)
//
// Linearizable (clientv3's default) unless -serializable. One Get of a key outside the prefix
// comes first so that the connection is up; only the measured Range is timed (including the
// client's decoding of the response). With -expect N the answer is checked: count == N (all ops),
// and the number of kvs == N (all) or min(N, limit) (first).
//
//	ETCD_ENDPOINTS=127.0.0.1:2379 scalereader -op all -expect 1000000
//
// stdout is one JSON line: {"op":..,"ms":..,"count":..,"kvs":..,"more":..,"response_bytes":..,
// "revision":..,"ok":..,"error":..}; the exit status is 1 if the Range failed or a check did not
// hold.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"etcd-ts/test/go/internal/etcdenv"
)

func main() {
	op := flag.String("op", "count", "count | first | all")
	prefix := flag.String("prefix", "/scale/", "key prefix")
	limit := flag.Int64("limit", 1000, "page size for -op first")
	expect := flag.Int64("expect", -1, "expected number of keys under the prefix (-1: no check)")
	serializable := flag.Bool("serializable", false, "serializable Range instead of linearizable")
	timeout := flag.Duration("timeout", 10*time.Minute, "timeout of the measured Range")
	flag.Parse()

	res := map[string]any{"op": *op, "ok": false}
	fail := func(f string, a ...any) {
		res["error"] = fmt.Sprintf(f, a...)
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
		os.Exit(1)
	}

	eps := etcdenv.Endpoints()
	if len(eps) == 0 {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS is not set")
		os.Exit(2)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:          eps,
		DialTimeout:        5 * time.Second,
		MaxCallRecvMsgSize: math.MaxInt32,
	})
	if err != nil {
		fail("connect: %v", err)
	}
	defer cli.Close()

	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	switch *op {
	case "count":
		opts = append(opts, clientv3.WithCountOnly())
	case "first":
		opts = append(opts, clientv3.WithLimit(*limit))
	case "all":
	default:
		fmt.Fprintf(os.Stderr, "scalereader: unknown -op %q (count | first | all)\n", *op)
		os.Exit(2)
	}
	if *serializable {
		opts = append(opts, clientv3.WithSerializable())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	_, err = cli.Get(ctx, "/scalereader-warm-up")
	cancel()
	if err != nil {
		fail("warm-up Get: %v", err)
	}

	ctx, cancel = context.WithTimeout(context.Background(), *timeout)
	t0 := time.Now()
	resp, err := cli.Get(ctx, *prefix, opts...)
	elapsed := time.Since(t0)
	cancel()
	res["ms"] = float64(elapsed.Microseconds()) / 1000
	if err != nil {
		fail("range: %v", err)
	}
	res["count"] = resp.Count
	res["kvs"] = len(resp.Kvs)
	res["more"] = resp.More
	res["revision"] = resp.Header.Revision
	res["response_bytes"] = (*pb.RangeResponse)(resp).Size()

	if *expect >= 0 {
		if resp.Count != *expect {
			fail("count %d, expected %d", resp.Count, *expect)
		}
		want := int64(0)
		switch *op {
		case "first":
			want = min(*expect, *limit)
		case "all":
			want = *expect
		}
		if int64(len(resp.Kvs)) != want {
			fail("%d kvs, expected %d", len(resp.Kvs), want)
		}
		if want > 0 {
			if k := string(resp.Kvs[0].Key); k != fmt.Sprintf("%s%010d", *prefix, 0) {
				fail("first key %q", k)
			}
		}
		if *op == "all" && want > 0 {
			if k := string(resp.Kvs[want-1].Key); k != fmt.Sprintf("%s%010d", *prefix, want-1) {
				fail("last key %q", k)
			}
		}
	}
	res["ok"] = true
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
