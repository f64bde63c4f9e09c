package kv

// Compaction tests. This file sorts last, so these run after every other test of the package and
// only compact revisions no other test still reads.

import (
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestZCompact(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	k := p + "k"
	R1 := must(cli.Put(ctx, k, "v1")).Header.Revision
	R2 := must(cli.Put(ctx, k, "v2")).Header.Revision
	R3 := must(cli.Put(ctx, k, "v3")).Header.Revision

	c := must(cli.Compact(ctx, R2))
	eq(t, "compact header revision is the current revision", c.Header.Revision, R3)
	if c.Header.MemberId == 0 || c.Header.ClusterId == 0 {
		t.Errorf("compact header not filled: %+v", c.Header)
	}

	_, err := cli.Get(ctx, k, clientv3.WithRev(R1))
	wantErr(t, "get below compact rev", err, rpctypes.ErrCompacted)
	g := must(cli.Get(ctx, k, clientv3.WithRev(R2)))
	eq(t, "get at compact rev", string(g.Kvs[0].Value), "v2")
	eq(t, "get at compact rev: version", g.Kvs[0].Version, int64(2))
	eq(t, "get at compact rev: header", g.Header.Revision, R3)
	g = must(cli.Get(ctx, k, clientv3.WithRev(R3)))
	eq(t, "get at latest", string(g.Kvs[0].Value), "v3")
	_, err = cli.Txn(ctx).Then(clientv3.OpGet(k, clientv3.WithRev(R1))).Commit()
	wantErr(t, "txn get below compact rev", err, rpctypes.ErrCompacted)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"x", "1"), clientv3.OpGet(k, clientv3.WithRev(R1))).Commit()
	wantErr(t, "write txn get below compact rev", err, rpctypes.ErrCompacted)
	// Get with WithRev(0) means latest, never compacted.
	g = must(cli.Get(ctx, k, clientv3.WithRev(0)))
	eq(t, "rev 0", string(g.Kvs[0].Value), "v3")

	_, err = cli.Compact(ctx, R2)
	wantErr(t, "compact at the compact rev again", err, rpctypes.ErrCompacted)
	_, err = cli.Compact(ctx, R1)
	wantErr(t, "compact below the compact rev", err, rpctypes.ErrCompacted)
	_, err = cli.Compact(ctx, R3+1000)
	wantErr(t, "compact at a future rev", err, rpctypes.ErrFutureRev)
	_, err = cli.Compact(ctx, R3+1)
	wantErr(t, "compact at current+1", err, rpctypes.ErrFutureRev)

	// Physical compaction at the current revision.
	c = must(cli.Compact(ctx, R3, clientv3.WithCompactPhysical()))
	eq(t, "physical compact header revision", c.Header.Revision, R3)
	_, err = cli.Get(ctx, k, clientv3.WithRev(R2))
	wantErr(t, "get below physical compact rev", err, rpctypes.ErrCompacted)
	g = must(cli.Get(ctx, k, clientv3.WithRev(R3)))
	eq(t, "get at physical compact rev", string(g.Kvs[0].Value), "v3")
	eq(t, "version survives compaction", g.Kvs[0].Version, int64(3))
	eq(t, "create revision survives compaction", g.Kvs[0].CreateRevision, R1)

	// A key deleted before the compact revision is gone at the compact revision.
	must(cli.Put(ctx, p+"gone", "x"))
	must(cli.Delete(ctx, p+"gone"))
	R4 := must(cli.Put(ctx, p+"after", "y")).Header.Revision
	must(cli.Compact(ctx, R4))
	g = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithRev(R4)))
	eqStrings(t, "at compact rev after delete", keys(g.Kvs), withP(p, "after", "k"))
	eq(t, "count", g.Count, int64(2))
	// The store keeps counting revisions normally.
	eq(t, "next put", must(cli.Put(ctx, p+"next", "z")).Header.Revision, R4+1)
}
