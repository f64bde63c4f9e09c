package watch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const wait = 10 * time.Second

func TestWatchKey(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	k := p + "k"
	wch := cli.Watch(ctx, k, clientv3.WithCreatedNotify())
	c := next(t, wch, wait)
	if !c.Created || c.Canceled || len(c.Events) != 0 {
		t.Fatalf("first response: %s", describe(c))
	}
	g, err := cli.Get(ctx, "nothing")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "created header revision is the current revision", c.Header.Revision, g.Header.Revision)
	if c.Header.ClusterId == 0 || c.Header.MemberId == 0 || c.Header.RaftTerm == 0 {
		t.Errorf("created header not filled: %+v", c.Header)
	}

	r1 := put(t, cli, k, "v1")
	put(t, cli, p+"other", "x")
	put(t, cli, k+"suffix", "x")
	r2 := put(t, cli, k, "v2")
	r3 := del(t, cli, k)
	var got []string
	for len(got) < 3 {
		r := next(t, wch, wait)
		if len(r.Events) != 1 {
			t.Fatalf("live response with %d events: %s", len(r.Events), describe(r))
		}
		eq(t, "live header revision = event revision", r.Header.Revision, r.Events[0].Kv.ModRevision)
		got = append(got, ev(r.Events[0], p))
	}
	eqStrings(t, "events", got, []string{
		fmt.Sprintf("PUT k@%d=v1", r1), fmt.Sprintf("PUT k@%d=v2", r2), fmt.Sprintf("DELETE k@%d", r3),
	})
	nothing(t, wch, 200*time.Millisecond)
}

func TestWatchPrefixAndRange(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	wp := cli.Watch(ctx, p+"dir/", clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	wr := cli.Watch(ctx, p+"b", clientv3.WithRange(p+"d"), clientv3.WithCreatedNotify())
	next(t, wp, wait)
	next(t, wr, wait)
	ra := put(t, cli, p+"dir/a", "1")
	put(t, cli, p+"dir", "no")
	put(t, cli, p+"a", "no")
	rb := put(t, cli, p+"b", "2")
	rc := put(t, cli, p+"c\xff", "3")
	put(t, cli, p+"d", "no")
	rd := put(t, cli, p+"dir/sub/x", "4")
	eqStrings(t, "prefix", evs(collect(t, wp, 2, wait), p), []string{
		fmt.Sprintf("PUT dir/a@%d=1", ra), fmt.Sprintf("PUT dir/sub/x@%d=4", rd),
	})
	eqStrings(t, "range", evs(collect(t, wr, 2, wait), p), []string{
		fmt.Sprintf("PUT b@%d=2", rb), fmt.Sprintf("PUT c\xff@%d=3", rc),
	})
}

func TestWatchFromRevision(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	r1 := put(t, cli, p+"k", "1")
	r2 := put(t, cli, p+"k", "2")
	put(t, cli, p+"x", "other")
	r3 := del(t, cli, p+"k")
	r4 := put(t, cli, p+"k", "3")
	wch := cli.Watch(ctx, p+"k", clientv3.WithRev(r2))
	r := next(t, wch, wait)
	eqStrings(t, "replay", evs(r.Events, p), []string{
		fmt.Sprintf("PUT k@%d=2", r2), fmt.Sprintf("DELETE k@%d", r3), fmt.Sprintf("PUT k@%d=3", r4),
	})
	if r.Header.Revision < r4 {
		t.Errorf("replay header revision %d < last event %d", r.Header.Revision, r4)
	}
	r5 := put(t, cli, p+"k", "4")
	eqStrings(t, "live after replay", evs(collect(t, wch, 1, wait), p), []string{fmt.Sprintf("PUT k@%d=4", r5)})

	// A start revision in the future: nothing until the store gets there.
	wf := cli.Watch(ctx, p+"k", clientv3.WithRev(r5+2))
	put(t, cli, p+"k", "5")
	r7 := put(t, cli, p+"k", "6")
	eqStrings(t, "future start", evs(collect(t, wf, 1, wait), p), []string{fmt.Sprintf("PUT k@%d=6", r7)})
	_ = r1
}

func TestWatchPrevKV(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	r1 := put(t, cli, p+"k", "1")
	r2 := put(t, cli, p+"k", "2")
	wch := cli.Watch(ctx, p+"k", clientv3.WithRev(r1), clientv3.WithPrevKV())
	eqStrings(t, "replay", evs(collect(t, wch, 2, wait), p), []string{
		fmt.Sprintf("PUT k@%d=1", r1), fmt.Sprintf("PUT k@%d=2 prev=1@%d", r2, r1),
	})
	r3 := del(t, cli, p+"k")
	r4 := put(t, cli, p+"k", "3")
	r5 := put(t, cli, p+"k", "4")
	eqStrings(t, "live", evs(collect(t, wch, 3, wait), p), []string{
		fmt.Sprintf("DELETE k@%d prev=2@%d", r3, r2), fmt.Sprintf("PUT k@%d=3", r4), fmt.Sprintf("PUT k@%d=4 prev=3@%d", r5, r4),
	})
}

func TestWatchFilters(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	noPut := cli.Watch(ctx, p+"k", clientv3.WithFilterPut(), clientv3.WithCreatedNotify())
	noDel := cli.Watch(ctx, p+"k", clientv3.WithFilterDelete(), clientv3.WithCreatedNotify())
	next(t, noPut, wait)
	next(t, noDel, wait)
	r1 := put(t, cli, p+"k", "1")
	r2 := del(t, cli, p+"k")
	r3 := put(t, cli, p+"k", "2")
	eqStrings(t, "NOPUT", evs(collect(t, noPut, 1, wait), p), []string{fmt.Sprintf("DELETE k@%d", r2)})
	eqStrings(t, "NODELETE", evs(collect(t, noDel, 2, wait), p), []string{fmt.Sprintf("PUT k@%d=1", r1), fmt.Sprintf("PUT k@%d=2", r3)})
	// Filtered-out revisions send nothing at all.
	nothing(t, noPut, 200*time.Millisecond)
}

func TestWatchTxnIsOneResponse(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	wch := cli.Watch(ctx, p, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	next(t, wch, wait)
	put(t, cli, p+"a", "0")
	tr, err := cli.Txn(ctx).Then(clientv3.OpPut(p+"c", "1"), clientv3.OpDelete(p+"a"), clientv3.OpPut(p+"b", "2")).Commit()
	if err != nil {
		t.Fatal(err)
	}
	R := tr.Header.Revision
	next(t, wch, wait)
	r := next(t, wch, wait)
	eq(t, "header revision", r.Header.Revision, R)
	eqStrings(t, "one revision, one response, op order", evs(r.Events, p), []string{
		fmt.Sprintf("PUT c@%d=1", R), fmt.Sprintf("DELETE a@%d", R), fmt.Sprintf("PUT b@%d=2", R),
	})
}

func TestWatchCompacted(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	r1 := put(t, cli, p+"k", "1")
	r2 := put(t, cli, p+"k", "2")
	r3 := put(t, cli, p+"k", "3")
	if _, err := cli.Compact(ctx, r2); err != nil {
		t.Fatal(err)
	}
	wch := cli.Watch(ctx, p+"k", clientv3.WithRev(r1))
	r := next(t, wch, wait)
	if !r.Canceled || r.CompactRevision != r2 || r.Err() != rpctypes.ErrCompacted {
		t.Fatalf("compacted watch: %s", describe(r))
	}
	if _, ok := <-wch; ok {
		t.Fatalf("channel not closed after compaction cancel")
	}
	// At the compact revision itself: allowed.
	w2 := cli.Watch(ctx, p+"k", clientv3.WithRev(r2))
	eqStrings(t, "at compact revision", evs(collect(t, w2, 2, wait), p), []string{fmt.Sprintf("PUT k@%d=2", r2), fmt.Sprintf("PUT k@%d=3", r3)})
}

func TestWatchInvalidRange(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	wch := cli.Watch(ctx, p+"b", clientv3.WithRange(p+"a"))
	r := next(t, wch, wait)
	if !r.Canceled || r.Err() == nil || !strings.Contains(r.Err().Error(), "mvcc: watcher range is empty") {
		t.Fatalf("invalid range: %s", describe(r))
	}
	// The stream still works for other watchers.
	w2 := cli.Watch(ctx, p+"k", clientv3.WithCreatedNotify())
	next(t, w2, wait)
	rv := put(t, cli, p+"k", "v")
	eqStrings(t, "after invalid", evs(collect(t, w2, 1, wait), p), []string{fmt.Sprintf("PUT k@%d=v", rv)})
}

func TestWatchCancel(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	base := ctxT(t, 30*time.Second)
	ctx1, cancel1 := context.WithCancel(base)
	w1 := cli.Watch(ctx1, p+"k", clientv3.WithCreatedNotify())
	w2 := cli.Watch(base, p+"k", clientv3.WithCreatedNotify())
	next(t, w1, wait)
	next(t, w2, wait)
	r1 := put(t, cli, p+"k", "1")
	collect(t, w1, 1, wait)
	collect(t, w2, 1, wait)
	cancel1()
	deadline := time.After(wait)
	for closed := false; !closed; {
		select {
		case _, ok := <-w1:
			closed = !ok
		case <-deadline:
			t.Fatal("canceled watch channel not closed")
		}
	}
	r2 := put(t, cli, p+"k", "2")
	eqStrings(t, "other watcher on the same stream continues", evs(collect(t, w2, 1, wait), p), []string{fmt.Sprintf("PUT k@%d=2", r2)})
	_ = r1
}

func TestManyWatchersOneStream(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 60*time.Second)
	const n = 50
	chans := make([]clientv3.WatchChan, n)
	for i := range chans {
		chans[i] = cli.Watch(ctx, fmt.Sprintf("%sk%02d", p, i%10), clientv3.WithCreatedNotify())
		next(t, chans[i], wait)
	}
	all := cli.Watch(ctx, p, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	next(t, all, wait)
	revs := make([]int64, 10)
	for i := range revs {
		revs[i] = put(t, cli, fmt.Sprintf("%sk%02d", p, i), fmt.Sprint(i))
	}
	for i, ch := range chans {
		eqStrings(t, fmt.Sprintf("watcher %d", i), evs(collect(t, ch, 1, wait), p), []string{fmt.Sprintf("PUT k%02d@%d=%d", i%10, revs[i%10], i%10)})
	}
	got := collect(t, all, 10, wait)
	for i, e := range got {
		eq(t, "prefix watcher order", e.Kv.ModRevision, revs[i])
	}
}

func TestManyStreams(t *testing.T) {
	p := prefix(t)
	writer := newClient(t)
	ctx := ctxT(t, 60*time.Second)
	const clients, perClient = 6, 4
	var chans []clientv3.WatchChan
	for c := 0; c < clients; c++ {
		cli := newClient(t)
		for w := 0; w < perClient; w++ {
			ch := cli.Watch(ctx, p, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
			next(t, ch, wait)
			chans = append(chans, ch)
		}
	}
	var want []string
	for i := 0; i < 20; i++ {
		r := put(t, writer, fmt.Sprintf("%sk%d", p, i%3), fmt.Sprint(i))
		want = append(want, fmt.Sprintf("PUT k%d@%d=%d", i%3, r, i))
	}
	for i, ch := range chans {
		eqStrings(t, fmt.Sprintf("stream watcher %d", i), evs(collect(t, ch, 20, wait), p), want)
	}
}

func TestRequestProgress(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	wch := cli.Watch(ctx, p+"k", clientv3.WithCreatedNotify())
	next(t, wch, wait)
	put(t, cli, p+"other", "x")
	cur := put(t, cli, p+"other", "y")
	if err := cli.RequestProgress(ctx); err != nil {
		t.Fatal(err)
	}
	r := next(t, wch, wait)
	if !r.IsProgressNotify() {
		t.Fatalf("expected a progress notify, got %s", describe(r))
	}
	if r.Header.Revision < cur {
		t.Errorf("progress revision %d < current %d", r.Header.Revision, cur)
	}
}

func TestProgressNotify(t *testing.T) {
	iv := strings.TrimSpace(getenv("WATCH_PROGRESS_NOTIFY_INTERVAL"))
	if iv == "" {
		t.Skip("WATCH_PROGRESS_NOTIFY_INTERVAL not set")
	}
	d, err := time.ParseDuration(iv)
	if err != nil {
		t.Fatal(err)
	}
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 30*time.Second)
	cur := put(t, cli, p+"x", "1")
	wch := cli.Watch(ctx, p+"k", clientv3.WithProgressNotify(), clientv3.WithCreatedNotify())
	next(t, wch, wait)
	start := time.Now()
	r := next(t, wch, 3*d+2*time.Second)
	if !r.IsProgressNotify() || r.Header.Revision < cur {
		t.Fatalf("expected a progress notify at >= %d, got %s", cur, describe(r))
	}
	if el := time.Since(start); el > 3*d+time.Second {
		t.Errorf("progress notify after %v (interval %v)", el, d)
	}
}

func TestFragment(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 60*time.Second)
	big := strings.Repeat("x", 1024*1024)
	r1 := put(t, cli, p+"a", big)
	put(t, cli, p+"b", big)
	r3 := put(t, cli, p+"c", big)
	for _, frag := range []bool{true, false} {
		opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(r1)}
		if frag {
			opts = append(opts, clientv3.WithFragment())
		}
		wch := cli.Watch(ctx, p, opts...)
		r := next(t, wch, wait)
		if r.Err() != nil || len(r.Events) != 3 {
			t.Fatalf("fragment=%v: %s", frag, describe(r))
		}
		eq(t, "last event revision", r.Events[2].Kv.ModRevision, r3)
		for _, e := range r.Events {
			eq(t, "value size", len(e.Kv.Value), len(big))
		}
	}
}

func TestRequireLeader(t *testing.T) {
	cli, p := newClient(t), prefix(t)
	ctx := clientv3.WithRequireLeader(ctxT(t, 30*time.Second))
	wch := cli.Watch(ctx, p+"k", clientv3.WithCreatedNotify())
	next(t, wch, wait)
	r := put(t, cli, p+"k", "v")
	eqStrings(t, "with hasleader", evs(collect(t, wch, 1, wait), p), []string{fmt.Sprintf("PUT k@%d=v", r)})
}
