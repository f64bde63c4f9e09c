// Package etcdtest holds what the Go client test packages (kv, lease, lock, watch, concurrency)
// share: the ETCD_ENDPOINTS check in TestMain, a clientv3 client per test, per-test contexts and
// key prefixes, and the assertion helpers. The tests were written against real etcd 3.6 and run
// unchanged against etcd-ts.
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"etcd-ts/test/go/internal/etcdenv"
)

// Main is a package's TestMain: it refuses to run without ETCD_ENDPOINTS, then runs the tests.
func Main(m *testing.M) {
	if strings.TrimSpace(os.Getenv("ETCD_ENDPOINTS")) == "" {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS is not set (comma-separated endpoints of the server under test)")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// Endpoints returns the non-empty, trimmed entries of ETCD_ENDPOINTS (host:port or URLs).
func Endpoints() []string { return etcdenv.Endpoints() }

// current is the running test, set by NewClient, for Must. The test packages never use
// t.Parallel, so one test at a time suffices.
var current atomic.Pointer[testing.T]

// Current returns the test most recently passed to NewClient.
func Current() *testing.T { return current.Load() }

// NewClient returns a client of ETCD_ENDPOINTS that is closed when t ends, and makes t the test
// Must reports to.
func NewClient(t *testing.T) *clientv3.Client {
	t.Helper()
	current.Store(t)
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   Endpoints(),
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("clientv3.New(%v): %v", Endpoints(), err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// Ctx returns a context that times out after 15s and is cancelled when t ends.
func Ctx(t *testing.T) context.Context {
	t.Helper()
	return CtxTimeout(t, 15*time.Second)
}

// CtxTimeout returns a context that times out after d and is cancelled when t ends.
func CtxTimeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Prefix returns a key prefix unique to this test and run: /<space>/<test name>/<start time>/.
func Prefix(t *testing.T, space string) string {
	return fmt.Sprintf("/%s/%s/%d/", space, t.Name(), time.Now().UnixNano())
}

// Must returns v, or fails the current test (see NewClient) if err is not nil. It takes a call's
// two results directly: Must(cli.Get(ctx, k)).
func Must[T any](v T, err error) T {
	t := Current()
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	return v
}

// Eq reports got != want.
func Eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// WantErr checks that err is exactly the given rpctypes error, both by == and errors.Is, and that
// it carries the expected gRPC code.
func WantErr(t *testing.T, what string, err error, want error) {
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

// Keys returns the keys of kvs as strings.
func Keys(kvs []*mvccpb.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = string(kv.Key)
	}
	return out
}

// Values returns the values of kvs as strings.
func Values(kvs []*mvccpb.KeyValue) []string {
	out := make([]string, len(kvs))
	for i, kv := range kvs {
		out[i] = string(kv.Value)
	}
	return out
}

// EqStrings reports two string lists that differ, on one line.
func EqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// WithP prefixes each name with p.
func WithP(p string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}
