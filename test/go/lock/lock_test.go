package lock

import (
	"context"
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3election/v3electionpb"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3lock/v3lockpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func wantStatus(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	s, _ := status.FromError(err)
	if err == nil || s.Code() != code || s.Message() != msg {
		t.Errorf("%s: got %v, want code %v message %q", what, err, code, msg)
	}
}

func TestLockUnlock(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lc := v3lockpb.NewLockClient(cli.ActiveConnection())
	name := p + "mylock"
	l1 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l1.ID) //nolint:errcheck
	l2 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l2.ID) //nolint:errcheck

	r1, err := lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l1.ID)})
	if err != nil {
		t.Fatalf("lock 1: %v", err)
	}
	eq(t, "owner key 1", string(r1.Key), fmt.Sprintf("%s/%x", name, int64(l1.ID)))
	g := must(cli.Get(ctx, string(r1.Key)))
	eq(t, "lock header revision = key's create revision", r1.Header.Revision, g.Kvs[0].CreateRevision)
	eq(t, "owner key lease", clientv3.LeaseID(g.Kvs[0].Lease), l1.ID)
	eq(t, "owner key value", string(g.Kvs[0].Value), "")

	type res struct {
		r   *v3lockpb.LockResponse
		err error
	}
	second := make(chan res, 1)
	go func() {
		r, err := lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l2.ID)})
		second <- res{r, err}
	}()
	select {
	case r := <-second:
		t.Fatalf("second lock acquired while held: %+v %v", r.r, r.err)
	case <-time.After(500 * time.Millisecond):
	}
	u, err := lc.Unlock(ctx, &v3lockpb.UnlockRequest{Key: r1.Key})
	if err != nil {
		t.Fatalf("unlock 1: %v", err)
	}
	select {
	case r := <-second:
		if r.err != nil {
			t.Fatalf("second lock: %v", r.err)
		}
		eq(t, "owner key 2", string(r.r.Key), fmt.Sprintf("%s/%x", name, int64(l2.ID)))
		if r.r.Header.Revision < u.Header.Revision {
			t.Errorf("second lock header revision %d < unlock revision %d", r.r.Header.Revision, u.Header.Revision)
		}
		must(lc.Unlock(ctx, &v3lockpb.UnlockRequest{Key: r.r.Key}))
	case <-time.After(5 * time.Second):
		t.Fatalf("second lock not acquired after unlock")
	}

	// Re-locking with a lease that holds the lock returns at once.
	ra := must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l1.ID)}))
	rb := must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l1.ID)}))
	eq(t, "same key", string(rb.Key), string(ra.Key))
	must(lc.Unlock(ctx, &v3lockpb.UnlockRequest{Key: ra.Key}))
}

func TestLockCancelledWaiterLeavesNoKey(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lc := v3lockpb.NewLockClient(cli.ActiveConnection())
	name := p + "l"
	l1 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l1.ID) //nolint:errcheck
	l2 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l2.ID) //nolint:errcheck
	r1 := must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l1.ID)}))
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	_, err := lc.Lock(cctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l2.ID)})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("waiting lock with a deadline: %v", err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		g := must(cli.Get(ctx, name+"/", clientv3.WithPrefix()))
		if len(g.Kvs) == 1 {
			eq(t, "only the holder's key", string(g.Kvs[0].Key), string(r1.Key))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cancelled waiter's key not removed: %v", keys(g.Kvs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestLockReleasedByLeaseExpiry(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lc := v3lockpb.NewLockClient(cli.ActiveConnection())
	name := p + "l"
	l1 := must(cli.Grant(ctx, 2))
	l2 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l2.ID) //nolint:errcheck
	must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l1.ID)}))
	start := time.Now()
	r2 := must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name), Lease: int64(l2.ID)}))
	if time.Since(start) > 8*time.Second {
		t.Errorf("lock took %v after a 2 s holder lease", time.Since(start))
	}
	eq(t, "new owner", string(r2.Key), fmt.Sprintf("%s/%x", name, int64(l2.ID)))
}

func TestLockUnknownLease(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lc := v3lockpb.NewLockClient(cli.ActiveConnection())
	_, err := lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(p + "l"), Lease: 0x7eadbeef00000003})
	wantStatus(t, "lock with unknown lease", err, codes.Unknown, "etcdserver: requested lease not found")
}

func TestElection(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	ec := v3electionpb.NewElectionClient(cli.ActiveConnection())
	name := []byte(p + "e")

	_, err := ec.Leader(ctx, &v3electionpb.LeaderRequest{Name: name})
	wantStatus(t, "leader of empty election", err, codes.Unknown, "election: no leader")
	_, err = ec.Proclaim(ctx, &v3electionpb.ProclaimRequest{Value: []byte("x")})
	wantStatus(t, "proclaim without leader", err, codes.Unknown, `"leader" field must be provided`)
	_, err = ec.Resign(ctx, &v3electionpb.ResignRequest{})
	wantStatus(t, "resign without leader", err, codes.Unknown, `"leader" field must be provided`)

	octx, ocancel := context.WithCancel(ctx)
	defer ocancel()
	obs, err := ec.Observe(octx, &v3electionpb.LeaderRequest{Name: name})
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	observed := make(chan string, 16)
	go func() {
		for {
			r, err := obs.Recv()
			if err != nil {
				close(observed)
				return
			}
			observed <- string(r.Kv.Value)
		}
	}()
	next := func(what, want string) {
		t.Helper()
		select {
		case v := <-observed:
			eq(t, what, v, want)
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: nothing observed, want %q", what, want)
		}
	}

	l1 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l1.ID) //nolint:errcheck
	l2 := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, l2.ID) //nolint:errcheck

	c1 := must(ec.Campaign(ctx, &v3electionpb.CampaignRequest{Name: name, Lease: int64(l1.ID), Value: []byte("a")}))
	eq(t, "leader key", string(c1.Leader.Key), fmt.Sprintf("%s/%x", name, int64(l1.ID)))
	eq(t, "leader name", string(c1.Leader.Name), string(name))
	eq(t, "leader lease", c1.Leader.Lease, int64(l1.ID))
	eq(t, "leader rev = campaign revision", c1.Leader.Rev, c1.Header.Revision)
	next("first leader observed", "a")

	ld := must(ec.Leader(ctx, &v3electionpb.LeaderRequest{Name: name}))
	eq(t, "leader value", string(ld.Kv.Value), "a")
	eq(t, "leader kv create revision", ld.Kv.CreateRevision, c1.Leader.Rev)

	pr := must(ec.Proclaim(ctx, &v3electionpb.ProclaimRequest{Leader: c1.Leader, Value: []byte("b")}))
	if pr.Header.Revision <= c1.Header.Revision {
		t.Errorf("proclaim revision %d", pr.Header.Revision)
	}
	next("proclaimed value observed", "b")

	won := make(chan *v3electionpb.CampaignResponse, 1)
	go func() {
		r, err := ec.Campaign(ctx, &v3electionpb.CampaignRequest{Name: name, Lease: int64(l2.ID), Value: []byte("c")})
		if err != nil {
			t.Errorf("campaign 2: %v", err)
		}
		won <- r
	}()
	select {
	case <-won:
		t.Fatalf("second candidate elected while the first leads")
	case <-time.After(500 * time.Millisecond):
	}

	must(ec.Resign(ctx, &v3electionpb.ResignRequest{Leader: c1.Leader}))
	select {
	case c2 := <-won:
		if c2 == nil {
			t.FailNow()
		}
		eq(t, "second leader key", string(c2.Leader.Key), fmt.Sprintf("%s/%x", name, int64(l2.ID)))
	case <-time.After(5 * time.Second):
		t.Fatalf("second candidate not elected after resign")
	}
	next("second leader observed", "c")

	_, err = ec.Proclaim(ctx, &v3electionpb.ProclaimRequest{Leader: c1.Leader, Value: []byte("stale")})
	wantStatus(t, "proclaim by resigned leader", err, codes.Unknown, "election: not leader")
	ld = must(ec.Leader(ctx, &v3electionpb.LeaderRequest{Name: name}))
	eq(t, "leader value after resign", string(ld.Kv.Value), "c")
}

func TestLockWithoutLeaseGrantsASessionLease(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lc := v3lockpb.NewLockClient(cli.ActiveConnection())
	name := p + "l"
	r := must(lc.Lock(ctx, &v3lockpb.LockRequest{Name: []byte(name)}))
	g := must(cli.Get(ctx, string(r.Key)))
	if len(g.Kvs) != 1 || g.Kvs[0].Lease == 0 {
		t.Fatalf("owner key of a lock without lease: %v", g.Kvs)
	}
	id := clientv3.LeaseID(g.Kvs[0].Lease)
	defer cli.Revoke(ctx, id) //nolint:errcheck
	eq(t, "owner key", string(r.Key), fmt.Sprintf("%s/%x", name, int64(id)))
	ttl := must(cli.TimeToLive(ctx, id))
	eq(t, "session lease granted ttl", ttl.GrantedTTL, int64(60))
	// A plain Grant right after must not collide with the lock's lease id.
	l := must(cli.Grant(ctx, 5))
	defer cli.Revoke(ctx, l.ID) //nolint:errcheck
	if l.ID == id {
		t.Errorf("granted lease id %x equals the lock's session lease", l.ID)
	}
}
