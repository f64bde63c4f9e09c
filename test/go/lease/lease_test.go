package lease

import (
	"sort"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestGrantTimeToLiveRevoke(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	g := must(cli.Grant(ctx, 60))
	if g.ID == 0 || g.TTL != 60 || g.Error != "" {
		t.Fatalf("grant: %+v", g)
	}
	if g.ResponseHeader == nil || g.ResponseHeader.MemberId == 0 {
		t.Errorf("grant header: %+v", g.ResponseHeader)
	}
	rev := must(cli.Put(ctx, p+"a", "1", clientv3.WithLease(g.ID))).Header.Revision
	must(cli.Put(ctx, p+"b", "2", clientv3.WithLease(g.ID)))

	ttl := must(cli.TimeToLive(ctx, g.ID, clientv3.WithAttachedKeys()))
	eq(t, "ttl id", ttl.ID, g.ID)
	eq(t, "granted ttl", ttl.GrantedTTL, int64(60))
	if ttl.TTL < 55 || ttl.TTL > 60 {
		t.Errorf("remaining ttl %d not in [55,60]", ttl.TTL)
	}
	// etcd returns attached keys in no particular order (a Go map).
	attached := byteStrings(ttl.Keys)
	sort.Strings(attached)
	eqStrings(t, "attached keys", attached, withP(p, "a", "b"))
	ttl = must(cli.TimeToLive(ctx, g.ID))
	eq(t, "no keys without WithAttachedKeys", len(ttl.Keys), 0)

	leases := must(cli.Leases(ctx))
	found := false
	for _, l := range leases.Leases {
		found = found || l.ID == g.ID
	}
	eq(t, "lease listed", found, true)

	ka := must(cli.KeepAliveOnce(ctx, g.ID))
	eq(t, "keepalive id", ka.ID, g.ID)
	eq(t, "keepalive ttl", ka.TTL, int64(60))

	r := must(cli.Revoke(ctx, g.ID))
	eq(t, "revoke revision: one revision deletes both keys", r.Header.Revision, rev+2)
	gr := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eq(t, "keys deleted by revoke", len(gr.Kvs), 0)

	// A revoked (or never granted) lease.
	ttl = must(cli.TimeToLive(ctx, g.ID))
	eq(t, "ttl of revoked lease", ttl.TTL, int64(-1))
	eq(t, "granted ttl of revoked lease", ttl.GrantedTTL, int64(0))
	_, err := cli.Revoke(ctx, g.ID)
	wantErr(t, "revoke again", err, rpctypes.ErrLeaseNotFound)
	_, err = cli.KeepAliveOnce(ctx, g.ID)
	wantErr(t, "keepalive revoked", err, rpctypes.ErrLeaseNotFound)
	_, err = cli.Put(ctx, p+"c", "3", clientv3.WithLease(g.ID))
	wantErr(t, "put with revoked lease", err, rpctypes.ErrLeaseNotFound)
}

func TestGrantWithID(t *testing.T) {
	cli, ctx := newClient(t), ctxT(t)
	// A chosen ID (clientv3's Grant cannot send one; the raw API can).
	id := time.Now().UnixNano() & 0x3fffffffffffffff
	lc := pb.NewLeaseClient(cli.ActiveConnection())
	r, err := lc.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 30, ID: id})
	if err != nil {
		t.Fatalf("grant with id: %v", err)
	}
	defer cli.Revoke(ctx, clientv3.LeaseID(id)) //nolint:errcheck
	eq(t, "granted id", r.ID, id)
	eq(t, "granted ttl", r.TTL, int64(30))
	_, err = lc.LeaseGrant(ctx, &pb.LeaseGrantRequest{TTL: 30, ID: id})
	wantErr(t, "grant same id", rpctypes.Error(err), rpctypes.ErrLeaseExist)

	// TTLs below the minimum (1.5 x election timeout, rounded up: 2 s with the defaults) are raised.
	g := must(cli.Grant(ctx, 1))
	defer cli.Revoke(ctx, g.ID) //nolint:errcheck
	eq(t, "grant ttl 1 gives", g.TTL, int64(2))
}

func TestExpiry(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	g := must(cli.Grant(ctx, 2))
	eq(t, "ttl", g.TTL, int64(2))
	must(cli.Put(ctx, p+"k", "v", clientv3.WithLease(g.ID)))
	deadline := time.Now().Add(10 * time.Second)
	for {
		gr := must(cli.Get(ctx, p+"k"))
		if len(gr.Kvs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("key of a 2 s lease still there after 10 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	ttl := must(cli.TimeToLive(ctx, g.ID))
	eq(t, "expired ttl", ttl.TTL, int64(-1))
}

func TestKeepAlive(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	g := must(cli.Grant(ctx, 2))
	defer cli.Revoke(ctx, g.ID) //nolint:errcheck
	must(cli.Put(ctx, p+"k", "v", clientv3.WithLease(g.ID)))
	ch := must(cli.KeepAlive(ctx, g.ID))
	n := 0
	timeout := time.After(4 * time.Second)
loop:
	for {
		select {
		case ka, ok := <-ch:
			if !ok {
				t.Fatalf("keepalive channel closed")
			}
			eq(t, "keepalive id", ka.ID, g.ID)
			eq(t, "keepalive ttl", ka.TTL, int64(2))
			n++
		case <-timeout:
			break loop
		}
	}
	if n < 2 {
		t.Errorf("only %d keepalive responses in 4 s", n)
	}
	// Kept alive past its TTL: the key is still there.
	gr := must(cli.Get(ctx, p+"k"))
	eq(t, "key kept alive", len(gr.Kvs), 1)
}

func TestErrors(t *testing.T) {
	cli, ctx := newClient(t), ctxT(t)
	_, err := cli.Revoke(ctx, clientv3.LeaseID(0x7eadbeef00000001))
	wantErr(t, "revoke unknown", err, rpctypes.ErrLeaseNotFound)
	_, err = cli.Grant(ctx, 9_000_000_001)
	wantErr(t, "ttl too large", err, rpctypes.ErrLeaseTTLTooLarge)
	ttl := must(cli.TimeToLive(ctx, clientv3.LeaseID(0x7eadbeef00000001)))
	eq(t, "ttl of unknown lease", ttl.TTL, int64(-1))
}

func byteStrings(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}
