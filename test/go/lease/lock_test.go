package lease

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// tryAcquire is the lease+txn lock of the etcd tutorials: create the key with the lease only if it
// does not exist; otherwise read the holder's value.
func tryAcquire(ctx context.Context, cli *clientv3.Client, key, val string, id clientv3.LeaseID) (bool, string, error) {
	r, err := cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, val, clientv3.WithLease(id))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return false, "", err
	}
	if r.Succeeded {
		return true, val, nil
	}
	kvs := r.Responses[0].GetResponseRange().Kvs
	if len(kvs) != 1 {
		return false, "", errors.New("lock busy but no holder value")
	}
	return false, string(kvs[0].Value), nil
}

func TestLeaseTxnLock(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	key := p + "lock"

	g1 := must(cli.Grant(ctx, 5))
	eq(t, "holder ttl", g1.TTL, int64(5))
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ka := must(cli.KeepAlive(kctx, g1.ID))
	go func() {
		for range ka {
		}
	}()

	ok, v, err := tryAcquire(ctx, cli, key, "holder-1", g1.ID)
	if err != nil || !ok || v != "holder-1" {
		t.Fatalf("first contender: ok=%v v=%q err=%v", ok, v, err)
	}

	g2 := must(cli.Grant(ctx, 5))
	defer cli.Revoke(ctx, g2.ID) //nolint:errcheck
	ka2 := must(cli.KeepAlive(ctx, g2.ID))
	go func() {
		for range ka2 {
		}
	}()
	ok, v, err = tryAcquire(ctx, cli, key, "holder-2", g2.ID)
	if err != nil || ok || v != "holder-1" {
		t.Fatalf("second contender while held: ok=%v v=%q err=%v (want busy, holder-1)", ok, v, err)
	}

	// Held past its TTL thanks to the keepalive.
	time.Sleep(6 * time.Second)
	ok, v, err = tryAcquire(ctx, cli, key, "holder-2", g2.ID)
	if err != nil || ok || v != "holder-1" {
		t.Fatalf("second contender after 6 s of keepalive: ok=%v v=%q err=%v", ok, v, err)
	}
	gr := must(cli.Get(ctx, key))
	eq(t, "lock key lease", clientv3.LeaseID(gr.Kvs[0].Lease), g1.ID)

	cancel()
	must(cli.Revoke(ctx, g1.ID))
	ok, v, err = tryAcquire(ctx, cli, key, "holder-2", g2.ID)
	if err != nil || !ok || v != "holder-2" {
		t.Fatalf("second contender after revoke: ok=%v v=%q err=%v", ok, v, err)
	}
	ttl := must(cli.TimeToLive(ctx, g2.ID, clientv3.WithAttachedKeys()))
	eqStrings(t, "lock key attached to the new holder", byteStrings(ttl.Keys), []string{key})
}

func TestAttachMoveDetach(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	a := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, a.ID) //nolint:errcheck
	b := must(cli.Grant(ctx, 60))
	defer cli.Revoke(ctx, b.ID) //nolint:errcheck
	attached := func(id clientv3.LeaseID) []string {
		r := must(cli.TimeToLive(ctx, id, clientv3.WithAttachedKeys()))
		ks := byteStrings(r.Keys)
		sort.Strings(ks)
		return ks
	}

	must(cli.Put(ctx, p+"k1", "v", clientv3.WithLease(a.ID)))
	must(cli.Put(ctx, p+"k2", "v", clientv3.WithLease(a.ID)))
	eqStrings(t, "a after two puts", attached(a.ID), withP(p, "k1", "k2"))

	must(cli.Put(ctx, p+"k1", "v2", clientv3.WithLease(b.ID)))
	eqStrings(t, "a after moving k1", attached(a.ID), withP(p, "k2"))
	eqStrings(t, "b after moving k1", attached(b.ID), withP(p, "k1"))

	must(cli.Put(ctx, p+"k1", "v3", clientv3.WithIgnoreLease()))
	eqStrings(t, "ignore lease keeps b", attached(b.ID), withP(p, "k1"))
	gr := must(cli.Get(ctx, p+"k1"))
	eq(t, "k1 lease after ignore_lease", clientv3.LeaseID(gr.Kvs[0].Lease), b.ID)

	must(cli.Put(ctx, p+"k1", "v4"))
	eqStrings(t, "put without lease detaches", attached(b.ID), nil)

	must(cli.Txn(ctx).Then(clientv3.OpPut(p+"k3", "v", clientv3.WithLease(b.ID)), clientv3.OpDelete(p+"k2")).Commit())
	eqStrings(t, "txn attaches", attached(b.ID), withP(p, "k3"))
	eqStrings(t, "delete detaches", attached(a.ID), nil)

	must(cli.Revoke(ctx, a.ID))
	gr = must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "revoking a lease without keys deletes nothing", keys(gr.Kvs), withP(p, "k1", "k3"))
}

func TestUnknownLeaseInPutAndTxn(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	const unknown = clientv3.LeaseID(0x7eadbeef00000002)
	_, err := cli.Put(ctx, p+"k", "v", clientv3.WithLease(unknown))
	wantErr(t, "put with unknown lease", err, rpctypes.ErrLeaseNotFound)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"k", "v", clientv3.WithLease(unknown))).Commit()
	wantErr(t, "txn put with unknown lease", err, rpctypes.ErrLeaseNotFound)
	gr := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eq(t, "nothing written", len(gr.Kvs), 0)
	_, err = cli.KeepAliveOnce(ctx, unknown)
	wantErr(t, "keepalive once unknown", err, rpctypes.ErrLeaseNotFound)
}

func TestRevokeIsOneRevision(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	g := must(cli.Grant(ctx, 60))
	for _, k := range []string{"c", "a", "b"} {
		must(cli.Put(ctx, p+k, "v", clientv3.WithLease(g.ID)))
	}
	must(cli.Put(ctx, p+"keep", "v"))
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := cli.Watch(wctx, p, clientv3.WithPrefix(), clientv3.WithPrevKV())
	r := must(cli.Revoke(ctx, g.ID))
	select {
	case wr := <-wch:
		if wr.Err() != nil {
			t.Fatalf("watch: %v", wr.Err())
		}
		var got []string
		for _, ev := range wr.Events {
			if ev.Type != mvccpb.DELETE {
				t.Errorf("event type %v", ev.Type)
			}
			eq(t, "delete revision = revoke revision", ev.Kv.ModRevision, r.Header.Revision)
			if ev.PrevKv == nil || clientv3.LeaseID(ev.PrevKv.Lease) != g.ID {
				t.Errorf("prev kv of %s: %v", ev.Kv.Key, ev.PrevKv)
			}
			got = append(got, string(ev.Kv.Key))
		}
		sort.Strings(got)
		eqStrings(t, "deleted keys in one watch response", got, withP(p, "a", "b", "c"))
	case <-time.After(5 * time.Second):
		t.Fatalf("no watch events for the revoke")
	}
}

func TestKeepAliveManyLeasesOneClient(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	kctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var ids []clientv3.LeaseID
	for i := 0; i < 3; i++ {
		g := must(cli.Grant(ctx, 2))
		defer cli.Revoke(ctx, g.ID) //nolint:errcheck
		ids = append(ids, g.ID)
		must(cli.Put(ctx, p+string(rune('a'+i)), "v", clientv3.WithLease(g.ID)))
		ch := must(cli.KeepAlive(kctx, g.ID))
		go func() {
			for range ch {
			}
		}()
	}
	time.Sleep(4 * time.Second)
	gr := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "all three kept alive past their TTL", keys(gr.Kvs), withP(p, "a", "b", "c"))
	for _, id := range ids {
		r := must(cli.TimeToLive(ctx, id))
		if r.TTL < 0 || r.TTL > 2 {
			t.Errorf("ttl of kept-alive lease: %d", r.TTL)
		}
	}
}

func TestConcurrencyMutex(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	s1, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
	if err != nil {
		t.Fatalf("session 1: %v", err)
	}
	defer s1.Close() //nolint:errcheck
	s2, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
	if err != nil {
		t.Fatalf("session 2: %v", err)
	}
	defer s2.Close() //nolint:errcheck

	m1 := concurrency.NewMutex(s1, p+"mutex")
	m2 := concurrency.NewMutex(s2, p+"mutex")
	if err := m1.Lock(ctx); err != nil {
		t.Fatalf("m1 lock: %v", err)
	}
	if err := m2.TryLock(ctx); !errors.Is(err, concurrency.ErrLocked) {
		t.Fatalf("m2 trylock while held: %v, want ErrLocked", err)
	}
	acquired := make(chan error, 1)
	go func() { acquired <- m2.Lock(ctx) }()
	select {
	case err := <-acquired:
		t.Fatalf("m2 acquired while m1 holds it: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	// Closing session 1 revokes its lease, which deletes m1's key and wakes m2.
	if err := s1.Close(); err != nil {
		t.Fatalf("close session 1: %v", err)
	}
	select {
	case err := <-acquired:
		if err != nil {
			t.Fatalf("m2 lock: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("m2 not acquired after session 1 closed")
	}
	if err := m2.Unlock(ctx); err != nil {
		t.Fatalf("m2 unlock: %v", err)
	}
}
