// Package etcdenv reads the server(s) under test from ETCD_ENDPOINTS (comma-separated host:port
// or URLs), for the Go test packages (through etcdtest) and the driver programs under cmd/.
package etcdenv

import (
	"fmt"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Endpoints returns the non-empty, trimmed entries of ETCD_ENDPOINTS.
func Endpoints() []string {
	var eps []string
	for _, e := range strings.Split(os.Getenv("ETCD_ENDPOINTS"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	return eps
}

// MustClient is a driver program's connection to ETCD_ENDPOINTS (5s dial timeout, clientv3's
// default logger). The program exits with status 2 if ETCD_ENDPOINTS is not set and with status
// 1 if the client cannot be created.
func MustClient() *clientv3.Client {
	eps := Endpoints()
	if len(eps) == 0 {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS is not set")
		os.Exit(2)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		os.Exit(1)
	}
	return cli
}

// MustClients is n separate clients (gRPC connections, at least one) to ETCD_ENDPOINTS, for
// driver programs that spread their load over several connections; it exits as MustClient does.
// The caller closes them.
func MustClients(n int) []*clientv3.Client {
	if n < 1 {
		n = 1
	}
	clients := make([]*clientv3.Client, n)
	for i := range clients {
		clients[i] = MustClient()
	}
	return clients
}
