// Package watch exercises clientv3's Watch API against the server(s) named in ETCD_ENDPOINTS.
// The tests were written against real etcd 3.6 and encode its behaviour; they run unchanged
// against etcd-ts.
//
// Optional environment:
//
//	WATCH_PROGRESS_NOTIFY_INTERVAL  the server's --watch-progress-notify-interval (Go duration);
//	                                TestProgressNotify is skipped without it.
//	WATCH_RESTART_DIR               a directory shared with an orchestrator that restarts the
//	                                server; TestResumeAfterRestart is skipped without it.
package watch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"etcd-ts/test/go/internal/etcdtest"
)

func TestMain(m *testing.M) { etcdtest.Main(m) }

// The shared helpers, under the names the tests use (see etcdtest for what each does).
var (
	newClient = etcdtest.NewClient
	ctxT      = etcdtest.CtxTimeout
)

func prefix(t *testing.T) string { return etcdtest.Prefix(t, "watch-test") }

func put(t *testing.T, cli *clientv3.Client, k, v string) int64 {
	t.Helper()
	r, err := cli.Put(context.Background(), k, v)
	if err != nil {
		t.Fatalf("put %s: %v", k, err)
	}
	return r.Header.Revision
}

func del(t *testing.T, cli *clientv3.Client, k string, opts ...clientv3.OpOption) int64 {
	t.Helper()
	r, err := cli.Delete(context.Background(), k, opts...)
	if err != nil {
		t.Fatalf("delete %s: %v", k, err)
	}
	return r.Header.Revision
}

// next receives one WatchResponse or fails after d.
func next(t *testing.T, wch clientv3.WatchChan, d time.Duration) clientv3.WatchResponse {
	t.Helper()
	select {
	case r, ok := <-wch:
		if !ok {
			t.Fatalf("watch channel closed")
		}
		return r
	case <-time.After(d):
		t.Fatalf("no watch response within %v", d)
	}
	return clientv3.WatchResponse{}
}

// nothing asserts that no response arrives within d.
func nothing(t *testing.T, wch clientv3.WatchChan, d time.Duration) {
	t.Helper()
	select {
	case r, ok := <-wch:
		if ok {
			t.Fatalf("unexpected watch response: %s", describe(r))
		}
	case <-time.After(d):
	}
}

// collect receives events until n have arrived, returning them in order.
func collect(t *testing.T, wch clientv3.WatchChan, n int, d time.Duration) []*clientv3.Event {
	t.Helper()
	var evs []*clientv3.Event
	deadline := time.After(d)
	for len(evs) < n {
		select {
		case r, ok := <-wch:
			if !ok {
				t.Fatalf("watch channel closed after %d/%d events", len(evs), n)
			}
			if err := r.Err(); err != nil {
				t.Fatalf("watch error after %d/%d events: %v", len(evs), n, err)
			}
			evs = append(evs, r.Events...)
		case <-deadline:
			t.Fatalf("got %d/%d events within %v", len(evs), n, d)
		}
	}
	return evs
}

func ev(e *clientv3.Event, p string) string {
	s := fmt.Sprintf("%s %s@%d", e.Type, strings.TrimPrefix(string(e.Kv.Key), p), e.Kv.ModRevision)
	if e.Type == mvccpb.PUT {
		s += "=" + string(e.Kv.Value)
	}
	if e.PrevKv != nil {
		s += fmt.Sprintf(" prev=%s@%d", e.PrevKv.Value, e.PrevKv.ModRevision)
	}
	return s
}

func evs(list []*clientv3.Event, p string) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = ev(e, p)
	}
	return out
}

func describe(r clientv3.WatchResponse) string {
	return fmt.Sprintf("{rev=%d created=%v canceled=%v compact=%d progress=%v err=%v events=%d}",
		r.Header.Revision, r.Created, r.Canceled, r.CompactRevision, r.IsProgressNotify(), r.Err(), len(r.Events))
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	etcdtest.Eq(t, what, got, want)
}
