// Package lock exercises the server-side v3lockpb.Lock and v3electionpb.Election services against
// the server(s) named in ETCD_ENDPOINTS (comma-separated). Written against real etcd 3.6; runs
// unchanged against etcd-ts.
// Every test uses its own key prefix; tests never run in parallel (must() relies on that).
package lock

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
func prefix(t *testing.T) string { return etcdtest.Prefix(t, "lock-test") }

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
