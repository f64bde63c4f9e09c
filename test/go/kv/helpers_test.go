// Package kv exercises clientv3's KV API (Get/Put/Delete/Txn/Compact and their options) against the
// server(s) named in ETCD_ENDPOINTS (comma-separated host:port or URLs). The tests were written
// against real etcd 3.6 and encode its behaviour; they then run unchanged against etcd-ts.
//
// Every test uses its own key prefix (test name + start time), so the binary can be rerun against
// the same server. Revisions are asserted relative to response headers. Tests run sequentially in
// file order; the compaction tests live in z_compact_test.go so they run last and only compact
// revisions no other test reads any more.
package kv

import (
	"testing"

	"etcd-ts/test/go/internal/etcdtest"
)

func TestMain(m *testing.M) { etcdtest.Main(m) }

// The shared helpers, under the names the tests use (see etcdtest for what each does).
var (
	newClient = etcdtest.NewClient
	ctxT      = etcdtest.Ctx
	wantErr   = etcdtest.WantErr
	keys      = etcdtest.Keys
	values    = etcdtest.Values
	eqStrings = etcdtest.EqStrings
	withP     = etcdtest.WithP
)

// prefix returns a key prefix unique to this test and run.
func prefix(t *testing.T) string { return etcdtest.Prefix(t, "kv-test") }

// must fails the running test (the one that last called newClient) if err is not nil; tests in
// this package never use t.Parallel.
func must[T any](v T, err error) T {
	etcdtest.Current().Helper()
	return etcdtest.Must(v, err)
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	etcdtest.Eq(t, what, got, want)
}
