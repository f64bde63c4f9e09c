package watch

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// next returns the next non-progress watch response, failing after 5 s.
func next(t *testing.T, wch clientv3.WatchChan) clientv3.WatchResponse {
	t.Helper()
	select {
	case wr, ok := <-wch:
		if !ok {
			t.Fatalf("watch channel closed")
		}
		return wr
	case <-time.After(5 * time.Second):
		t.Fatalf("no watch response within 5 s")
	}
	return clientv3.WatchResponse{}
}

type ev struct {
	typ  mvccpb.Event_EventType
	key  string
	val  string
	mod  int64
	ver  int64
	prev string
}

func flatten(wr clientv3.WatchResponse) []ev {
	var out []ev
	for _, e := range wr.Events {
		x := ev{typ: e.Type, key: string(e.Kv.Key), val: string(e.Kv.Value), mod: e.Kv.ModRevision, ver: e.Kv.Version}
		if e.PrevKv != nil {
			x.prev = string(e.PrevKv.Value)
		}
		out = append(out, x)
	}
	return out
}

func eqEvents(t *testing.T, what string, got []ev, want ...ev) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d events %+v, want %+v", what, len(got), got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: event %d: got %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func TestWatchKeyAndPrefix(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wk := cli.Watch(wctx, p+"a", clientv3.WithPrevKV())
	wp := cli.Watch(wctx, p, clientv3.WithPrefix())
	// clientv3 waits for the created response before returning events; give both a moment.
	time.Sleep(200 * time.Millisecond)

	r1 := must(cli.Put(ctx, p+"a", "1")).Header.Revision
	r2 := must(cli.Put(ctx, p+"b", "2")).Header.Revision
	r3 := must(cli.Put(ctx, p+"a", "3")).Header.Revision
	r4 := must(cli.Delete(ctx, p+"a")).Header.Revision
	tr := must(cli.Txn(ctx).Then(clientv3.OpPut(p+"c", "c"), clientv3.OpPut(p+"d", "d")).Commit()).Header.Revision

	var got []ev
	for len(got) < 3 {
		wr := next(t, wk)
		if wr.Err() != nil {
			t.Fatalf("watch error: %v", wr.Err())
		}
		got = append(got, flatten(wr)...)
	}
	eqEvents(t, "key watch", got,
		ev{mvccpb.PUT, p + "a", "1", r1, 1, ""},
		ev{mvccpb.PUT, p + "a", "3", r3, 2, "1"},
		ev{mvccpb.DELETE, p + "a", "", r4, 0, "3"}, // DELETE: only key and mod_revision set
	)

	got = nil
	for len(got) < 6 {
		got = append(got, flatten(next(t, wp))...)
	}
	eqEvents(t, "prefix watch", got,
		ev{mvccpb.PUT, p + "a", "1", r1, 1, ""},
		ev{mvccpb.PUT, p + "b", "2", r2, 1, ""},
		ev{mvccpb.PUT, p + "a", "3", r3, 2, ""},
		ev{mvccpb.DELETE, p + "a", "", r4, 0, ""},
		ev{mvccpb.PUT, p + "c", "c", tr, 1, ""},
		ev{mvccpb.PUT, p + "d", "d", tr, 1, ""},
	)
}

func TestWatchFromRevision(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	r1 := must(cli.Put(ctx, p+"k", "1")).Header.Revision
	r2 := must(cli.Put(ctx, p+"k", "2")).Header.Revision
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// History from r1: both puts arrive, in one response, with the header at the current revision.
	wr := next(t, cli.Watch(wctx, p+"k", clientv3.WithRev(r1)))
	eqEvents(t, "history", flatten(wr),
		ev{mvccpb.PUT, p + "k", "1", r1, 1, ""},
		ev{mvccpb.PUT, p + "k", "2", r2, 2, ""},
	)
	eq(t, "history header revision", wr.Header.Revision, r2)

	// Filters: no PUT events.
	wch := cli.Watch(wctx, p+"k", clientv3.WithRev(r1), clientv3.WithFilterPut())
	r3 := must(cli.Delete(ctx, p+"k")).Header.Revision
	eqEvents(t, "filter put", flatten(next(t, wch)), ev{mvccpb.DELETE, p + "k", "", r3, 0, ""})
}

func TestWatchProgressAndCreated(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	cur := must(cli.Put(ctx, p+"x", "1")).Header.Revision
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := cli.Watch(wctx, p+"nothing", clientv3.WithCreatedNotify())
	wr := next(t, wch)
	eq(t, "created", wr.Created, true)
	eq(t, "created header revision", wr.Header.Revision, cur)
	eq(t, "created events", len(wr.Events), 0)

	if err := cli.RequestProgress(wctx); err != nil {
		t.Fatalf("RequestProgress: %v", err)
	}
	wr = next(t, wch)
	eq(t, "progress notify", wr.IsProgressNotify(), true)
	eq(t, "progress header revision", wr.Header.Revision, cur)
}

// Runs last in the package: compacts.
func TestZWatchCompacted(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	r1 := must(cli.Put(ctx, p+"k", "1")).Header.Revision
	r2 := must(cli.Put(ctx, p+"k", "2")).Header.Revision
	must(cli.Compact(ctx, r2))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wr := next(t, cli.Watch(wctx, p+"k", clientv3.WithRev(r1)))
	eq(t, "canceled", wr.Canceled, true)
	eq(t, "compact revision", wr.CompactRevision, r2)
	if wr.Err() != rpctypes.ErrCompacted {
		t.Errorf("watch error: got %v, want %v", wr.Err(), rpctypes.ErrCompacted)
	}
	// At the compact revision itself the watch works.
	wr = next(t, cli.Watch(wctx, p+"k", clientv3.WithRev(r2)))
	eqEvents(t, "watch at compact rev", flatten(wr), ev{mvccpb.PUT, p + "k", "2", r2, 2, ""})
}
