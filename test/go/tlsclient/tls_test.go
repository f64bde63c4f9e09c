// Package tlsclient is a clientv3 program over TLS: a tls.Config made from ETCD_CACERT (and, for
// mutual TLS, ETCD_CERT and ETCD_KEY) with etcd's client/pkg transport.TLSInfo, against the https
// endpoints in ETCD_ENDPOINTS: put, get, watch, lease grant and keep-alive, member list. Written
// against real etcd 3.6; runs unchanged against etcd-ts.
package tlsclient

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	if strings.TrimSpace(os.Getenv("ETCD_ENDPOINTS")) == "" || os.Getenv("ETCD_CACERT") == "" {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS and ETCD_CACERT must be set")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func TestOverTLS(t *testing.T) {
	info := transport.TLSInfo{TrustedCAFile: os.Getenv("ETCD_CACERT"), CertFile: os.Getenv("ETCD_CERT"), KeyFile: os.Getenv("ETCD_KEY")}
	tlsConfig, err := info.ClientConfig()
	if err != nil {
		t.Fatalf("tls config: %v", err)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   strings.Split(os.Getenv("ETCD_ENDPOINTS"), ","),
		DialTimeout: 5 * time.Second,
		TLS:         tlsConfig,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("clientv3.New: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	prefix := fmt.Sprintf("/tls/%d/", time.Now().UnixNano())
	wch := cli.Watch(ctx, prefix, clientv3.WithPrefix())
	put, err := cli.Put(ctx, prefix+"a", "1")
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	resp, err := cli.Get(ctx, prefix+"a")
	if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "1" || resp.Kvs[0].ModRevision != put.Header.Revision {
		t.Fatalf("get: %v %v", resp, err)
	}
	select {
	case w := <-wch:
		if len(w.Events) != 1 || string(w.Events[0].Kv.Key) != prefix+"a" {
			t.Fatalf("watch: %+v", w)
		}
	case <-ctx.Done():
		t.Fatal("no watch event")
	}
	lease, err := cli.Grant(ctx, 30)
	if err != nil {
		t.Fatalf("grant: %v", err)
	}
	if _, err := cli.Put(ctx, prefix+"leased", "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatalf("put with lease: %v", err)
	}
	ka, err := cli.KeepAliveOnce(ctx, lease.ID)
	if err != nil || ka.TTL != 30 {
		t.Fatalf("keep-alive: %v %v", ka, err)
	}
	members, err := cli.MemberList(ctx)
	if err != nil || len(members.Members) == 0 {
		t.Fatalf("member list: %v %v", members, err)
	}
	for _, m := range members.Members {
		for _, u := range m.ClientURLs {
			if !strings.HasPrefix(u, "https://") {
				t.Errorf("member %x client URL %s is not https", m.ID, u)
			}
		}
	}
}
