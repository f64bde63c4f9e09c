// Package lock exercises the server-side v3lockpb.Lock and v3electionpb.Election services against
// the server(s) named in ETCD_ENDPOINTS (comma-separated). Written against real etcd 3.6; runs
// unchanged against etcd-ts.
// Every test uses its own key prefix; tests never run in parallel (must() relies on that).
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func TestMain(m *testing.M) {
	if strings.TrimSpace(os.Getenv("ETCD_ENDPOINTS")) == "" {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS is not set (comma-separated endpoints of the server under test)")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func endpoints() []string {
	var eps []string
	for _, e := range strings.Split(os.Getenv("ETCD_ENDPOINTS"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			eps = append(eps, e)
		}
	}
	return eps
}

func newClient(t *testing.T) *clientv3.Client {
	t.Helper()
	curT = t
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints(),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("clientv3.New(%v): %v", endpoints(), err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// prefix returns a key prefix unique to this test and run.
func prefix(t *testing.T) string {
	return fmt.Sprintf("/lock-test/%s/%d/", t.Name(), time.Now().UnixNano())
}

// curT is the running test (set by newClient). Tests in this package never use t.Parallel, so one
// variable suffices; it lets must() take a call's two results directly: must(cli.Get(ctx, k)).
var curT *testing.T

func must[T any](v T, err error) T {
	curT.Helper()
	if err != nil {
		curT.Fatalf("unexpected error: %v", err)
	}
	return v
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// wantErr checks that err is exactly the given rpctypes error, both by == and errors.Is, and that
// it carries the expected gRPC code.
func wantErr(t *testing.T, what string, err error, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want %v", what, want)
		return
	}
	if err != want || !errors.Is(err, want) {
		t.Errorf("%s: got error %T %q, want %q", what, err, err.Error(), want.Error())
		return
	}
	ee, ok := err.(rpctypes.EtcdError)
	wantEE := want.(rpctypes.EtcdError)
	if !ok || ee.Code() != wantEE.Code() {
		t.Errorf("%s: got code %v, want %v", what, ee.Code(), wantEE.Code())
	}
}

func keys(kvs []*mvccpb.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = string(kv.Key)
	}
	return out
}

func values(kvs []*mvccpb.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = string(kv.Value)
	}
	return out
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// withP prefixes each name with p.
func withP(p string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}
