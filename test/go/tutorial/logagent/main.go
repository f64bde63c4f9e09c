// The program that clientv3 tutorials (the "logagent" series) start with: connect, put a config
// key, read it back, list the prefix, delete it. It is kept as the tutorials write it, with two
// changes only: the import path is go.etcd.io/etcd/client/v3 (was github.com/coreos/etcd/clientv3),
// and the endpoints come from ETCD_ENDPOINTS (the original used 10.110.2.x:2379 hosts).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func main() {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(os.Getenv("ETCD_ENDPOINTS"), ","),
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		fmt.Println("connect failed, err:", err)
		os.Exit(1)
	}
	fmt.Println("connect success")
	defer cli.Close()

	// put
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	putResp, err := cli.Put(ctx, "/logagent/conf/", "sample_value")
	cancel()
	if err != nil {
		fmt.Println("put failed, err:", err)
		os.Exit(1)
	}
	fmt.Printf("revision: %d, value: %s\n", putResp.Header.Revision, putResp.Header.String())

	// get
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	resp, err := cli.Get(ctx, "/logagent/conf/")
	cancel()
	if err != nil {
		fmt.Println("get failed, err:", err)
		os.Exit(1)
	}
	for _, ev := range resp.Kvs {
		fmt.Printf("%s:%s\n", ev.Key, ev.Value)
	}

	// get with prefix
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	resp, err = cli.Get(ctx, "/logagent/", clientv3.WithPrefix())
	cancel()
	if err != nil {
		fmt.Println("get failed, err:", err)
		os.Exit(1)
	}
	for _, ev := range resp.Kvs {
		fmt.Printf("%s:%s\n", ev.Key, ev.Value)
	}

	// delete
	ctx, cancel = context.WithTimeout(context.Background(), time.Second)
	delResp, err := cli.Delete(ctx, "/logagent/conf/")
	cancel()
	if err != nil {
		fmt.Println("delete failed, err:", err)
		os.Exit(1)
	}
	fmt.Printf("deleted: %d\n", delResp.Deleted)
}
