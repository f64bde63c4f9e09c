package kv

import (
	"testing"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// cmpOK runs If(cmps...) with no ops and returns whether it succeeded.
func cmpOK(t *testing.T, cli *clientv3.Client, cmps ...clientv3.Cmp) bool {
	t.Helper()
	return must(cli.Txn(ctxT(t)).If(cmps...).Commit()).Succeeded
}

func TestTxnCompares(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	revs := putAll(t, cli, p, [2]string{"a", "10"}, [2]string{"b", "20"}, [2]string{"c", "30"})
	must(cli.Put(ctx, p+"b", "20")) // b: version 2
	bMod := must(cli.Get(ctx, p+"b")).Kvs[0].ModRevision
	a, b, missing := p+"a", p+"b", p+"missing"
	V, Ver, C, M := clientv3.Value, clientv3.Version, clientv3.CreateRevision, clientv3.ModRevision

	cases := []struct {
		name string
		cmp  clientv3.Cmp
		want bool
	}{
		{"value =", clientv3.Compare(V(a), "=", "10"), true},
		{"value = wrong", clientv3.Compare(V(a), "=", "11"), false},
		{"value !=", clientv3.Compare(V(a), "!=", "11"), true},
		{"value >", clientv3.Compare(V(a), ">", "1"), true},
		{"value > (bytewise: 10 < 9)", clientv3.Compare(V(a), ">", "9"), false},
		{"value <", clientv3.Compare(V(a), "<", "2"), true},
		{"version =", clientv3.Compare(Ver(b), "=", 2), true},
		{"version >", clientv3.Compare(Ver(b), ">", 1), true},
		{"version <", clientv3.Compare(Ver(a), "<", 2), true},
		{"version !=", clientv3.Compare(Ver(a), "!=", 1), false},
		{"create =", clientv3.Compare(C(a), "=", revs["a"]), true},
		{"create <", clientv3.Compare(C(a), "<", revs["b"]), true},
		{"create >", clientv3.Compare(C(b), ">", revs["a"]), true},
		{"mod =", clientv3.Compare(M(b), "=", bMod), true},
		{"mod !=", clientv3.Compare(M(b), "!=", revs["b"]), true},
		{"mod >", clientv3.Compare(M(b), ">", revs["c"]), true},
		{"mod <", clientv3.Compare(M(a), "<", revs["b"]), true},
		// A missing key compares as a zero KeyValue, except for VALUE which is always false.
		{"missing version = 0", clientv3.Compare(Ver(missing), "=", 0), true},
		{"missing create = 0", clientv3.Compare(C(missing), "=", 0), true},
		{"missing mod = 0", clientv3.Compare(M(missing), "=", 0), true},
		{"missing lease = 0", clientv3.Compare(clientv3.LeaseValue(missing), "=", 0), true},
		{"missing version > 0", clientv3.Compare(Ver(missing), ">", 0), false},
		{"missing value = ''", clientv3.Compare(V(missing), "=", ""), false},
		{"missing value != x", clientv3.Compare(V(missing), "!=", "x"), false},
		{"missing value < x", clientv3.Compare(V(missing), "<", "x"), false},
		// Range compares: every key in the range must satisfy the comparison.
		{"range value > 0 (all)", clientv3.Compare(V(p+"a"), ">", "0").WithRange(p + "d"), true},
		{"range value > 15 (not all)", clientv3.Compare(V(p+"a"), ">", "15").WithRange(p + "d"), false},
		{"prefix value < 4", clientv3.Compare(V(p), "<", "4").WithPrefix(), true},
		{"prefix version = 1 (b is 2)", clientv3.Compare(Ver(p), "=", 1).WithPrefix(), false},
		{"prefix version > 0", clientv3.Compare(Ver(p), ">", 0).WithPrefix(), true},
		{"prefix mod < big", clientv3.Compare(M(p), "<", bMod+1).WithPrefix(), true},
		{"prefix create >= a", clientv3.Compare(C(p), ">", revs["a"]-1).WithPrefix(), true},
		{"range [b,c) version = 2", clientv3.Compare(Ver(p+"b"), "=", 2).WithRange(p + "c"), true},
		{"empty range version = 0", clientv3.Compare(Ver(p+"x"), "=", 0).WithRange(p + "z"), true},
		{"empty range value = ''", clientv3.Compare(V(p+"x"), "=", "").WithRange(p + "z"), false},
		{"from key version > 0", clientv3.Compare(Ver(p+"b"), ">", 0).WithRange("\x00"), true},
	}
	for _, c := range cases {
		if got := cmpOK(t, cli, c.cmp); got != c.want {
			t.Errorf("%s: succeeded=%v, want %v", c.name, got, c.want)
		}
	}
	// Several compares: all must hold.
	eq(t, "two compares true", cmpOK(t, cli, clientv3.Compare(V(a), "=", "10"), clientv3.Compare(Ver(b), "=", 2)), true)
	eq(t, "one of two false", cmpOK(t, cli, clientv3.Compare(V(a), "=", "10"), clientv3.Compare(Ver(b), "=", 1)), false)
	// No compares: success.
	eq(t, "no compares", cmpOK(t, cli), true)
}

func TestTxnBranches(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	R := must(cli.Put(ctx, p+"k", "v")).Header.Revision

	// Success branch with several writes: one revision for all of them.
	tr := must(cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(p+"k"), "=", "v")).
		Then(clientv3.OpPut(p+"x", "1"), clientv3.OpPut(p+"y", "2"), clientv3.OpGet(p, clientv3.WithPrefix()), clientv3.OpDelete(p+"k", clientv3.WithPrevKV())).
		Else(clientv3.OpPut(p+"else", "1")).
		Commit())
	eq(t, "succeeded", tr.Succeeded, true)
	eq(t, "txn revision", tr.Header.Revision, R+1)
	eq(t, "responses", len(tr.Responses), 4)
	if tr.Responses[0].GetResponsePut() == nil || tr.Responses[1].GetResponsePut() == nil {
		t.Fatalf("put responses: %v", tr.Responses)
	}
	eq(t, "nested put header revision", tr.Responses[0].GetResponsePut().Header.Revision, R+1)
	eq(t, "nested put header member_id is 0", tr.Responses[0].GetResponsePut().Header.MemberId, uint64(0))
	rng := tr.Responses[2].GetResponseRange()
	// The range sees the txn's earlier writes.
	eqStrings(t, "range in txn", keys(rng.Kvs), withP(p, "k", "x", "y"))
	eq(t, "range in txn count", rng.Count, int64(3))
	eq(t, "range in txn mod rev of x", rng.Kvs[1].ModRevision, R+1)
	eq(t, "range in txn header revision (after writes: new revision)", rng.Header.Revision, R+1)
	del := tr.Responses[3].GetResponseDeleteRange()
	eq(t, "delete in txn", del.Deleted, int64(1))
	eq(t, "delete in txn prev", string(del.PrevKvs[0].Value), "v")
	eq(t, "delete in txn header revision", del.Header.Revision, R+1)
	g := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "after txn", keys(g.Kvs), withP(p, "x", "y"))
	for _, kv := range g.Kvs {
		eq(t, "mod revision of "+string(kv.Key), kv.ModRevision, R+1)
	}

	// Failure branch.
	tr = must(cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Version(p+"k"), ">", 0)).
		Then(clientv3.OpPut(p+"then", "1")).
		Else(clientv3.OpPut(p+"else", "1", clientv3.WithPrevKV()), clientv3.OpGet(p+"x")).
		Commit())
	eq(t, "failed", tr.Succeeded, false)
	eq(t, "failure revision", tr.Header.Revision, R+2)
	eq(t, "failure responses", len(tr.Responses), 2)
	eq(t, "else get", string(tr.Responses[1].GetResponseRange().Kvs[0].Value), "1")
	// A range before any write in a write txn reports the revision before the txn.
	tr = must(cli.Txn(ctx).Then(clientv3.OpGet(p+"x"), clientv3.OpPut(p+"x", "2"), clientv3.OpGet(p+"x")).Commit())
	eq(t, "range before write header", tr.Responses[0].GetResponseRange().Header.Revision, R+2)
	eq(t, "range after write header", tr.Responses[2].GetResponseRange().Header.Revision, R+3)
	eq(t, "range header cluster_id is 0", tr.Responses[0].GetResponseRange().Header.ClusterId, uint64(0))

	// Read-only and empty txns do not change the revision.
	tr = must(cli.Txn(ctx).Then(clientv3.OpGet(p + "x")).Commit())
	eq(t, "read-only txn revision", tr.Header.Revision, R+3)
	tr = must(cli.Txn(ctx).Commit())
	eq(t, "empty txn succeeded", tr.Succeeded, true)
	eq(t, "empty txn revision", tr.Header.Revision, R+3)
	eq(t, "empty txn responses", len(tr.Responses), 0)
	// A txn whose only write deletes nothing does not change the revision either.
	tr = must(cli.Txn(ctx).Then(clientv3.OpDelete(p + "nothing")).Commit())
	eq(t, "no-op delete txn revision", tr.Header.Revision, R+3)

	// Range inside a txn at an old revision / future revision.
	tr = must(cli.Txn(ctx).Then(clientv3.OpGet(p+"k", clientv3.WithRev(R))).Commit())
	eq(t, "txn get at rev", string(tr.Responses[0].GetResponseRange().Kvs[0].Value), "v")
	_, err := cli.Txn(ctx).Then(clientv3.OpGet(p+"k", clientv3.WithRev(R+100))).Commit()
	wantErr(t, "txn get future rev", err, rpctypes.ErrFutureRev)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"z", "1"), clientv3.OpGet(p+"k", clientv3.WithRev(R+100))).Commit()
	wantErr(t, "txn put+get future rev", err, rpctypes.ErrFutureRev)
	g = must(cli.Get(ctx, p+"z"))
	eq(t, "failed txn wrote nothing", len(g.Kvs), 0)
}

func TestTxnNested(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	R := must(cli.Put(ctx, p+"k", "v")).Header.Revision

	// Nested compares see the state before the whole txn, not the outer txn's writes.
	tr := must(cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(p+"k"), "=", "v")).
		Then(
			clientv3.OpPut(p+"k", "changed"),
			clientv3.OpTxn(
				[]clientv3.Cmp{clientv3.Compare(clientv3.Value(p+"k"), "=", "v")},
				[]clientv3.Op{clientv3.OpPut(p+"inner-then", "1"), clientv3.OpGet(p + "k")},
				[]clientv3.Op{clientv3.OpPut(p+"inner-else", "1")},
			),
		).
		Commit())
	eq(t, "outer succeeded", tr.Succeeded, true)
	eq(t, "nested revision", tr.Header.Revision, R+1)
	inner := tr.Responses[1].GetResponseTxn()
	if inner == nil {
		t.Fatalf("no nested txn response: %v", tr.Responses)
	}
	eq(t, "inner succeeded (compares see pre-txn state)", inner.Succeeded, true)
	eq(t, "inner responses", len(inner.Responses), 2)
	eq(t, "inner get sees outer write", string(inner.Responses[1].GetResponseRange().Kvs[0].Value), "changed")
	// Quirk: a nested txn's response header is present but all zero (etcd fills revision only in
	// nested put/delete/range responses and in the top-level header).
	if inner.Header == nil {
		t.Errorf("inner header is nil")
	} else {
		eq(t, "inner header revision (0 in etcd)", inner.Header.Revision, int64(0))
	}
	eq(t, "inner put header revision", inner.Responses[0].GetResponsePut().Header.Revision, R+1)
	g := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "after nested", keys(g.Kvs), withP(p, "inner-then", "k"))

	// Nested in the failure branch, failing inside.
	tr = must(cli.Txn(ctx).
		If(clientv3.Compare(clientv3.Value(p+"k"), "=", "v")).
		Else(clientv3.OpTxn(
			[]clientv3.Cmp{clientv3.Compare(clientv3.Version(p+"inner-then"), "=", 5)},
			nil,
			[]clientv3.Op{clientv3.OpPut(p+"inner-else", "2")},
		)).
		Commit())
	eq(t, "outer failed", tr.Succeeded, false)
	eq(t, "inner failed", tr.Responses[0].GetResponseTxn().Succeeded, false)
	eq(t, "revision", tr.Header.Revision, R+2)

	// The same key in a nested txn's then and else is allowed.
	must(cli.Txn(ctx).Then(clientv3.OpTxn(nil,
		[]clientv3.Op{clientv3.OpPut(p+"same", "1")},
		[]clientv3.Op{clientv3.OpPut(p+"same", "2")})).Commit())
}

func TestTxnErrors(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	must(cli.Put(ctx, p+"k", "v"))

	_, err := cli.Txn(ctx).Then(clientv3.OpPut(p+"a", "1"), clientv3.OpPut(p+"a", "2")).Commit()
	wantErr(t, "two puts same key", err, rpctypes.ErrDuplicateKey)
	_, err = cli.Txn(ctx).Else(clientv3.OpPut(p+"a", "1"), clientv3.OpPut(p+"a", "2")).Commit()
	wantErr(t, "two puts same key in else", err, rpctypes.ErrDuplicateKey)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"b", "1"), clientv3.OpDelete(p, clientv3.WithPrefix())).Commit()
	wantErr(t, "put inside a deleted range", err, rpctypes.ErrDuplicateKey)
	_, err = cli.Txn(ctx).Then(clientv3.OpDelete(p+"a"), clientv3.OpPut(p+"a", "1")).Commit()
	wantErr(t, "delete then put same key", err, rpctypes.ErrDuplicateKey)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"a", "1"),
		clientv3.OpTxn(nil, []clientv3.Op{clientv3.OpPut(p+"a", "2")}, nil)).Commit()
	wantErr(t, "put same key in nested txn", err, rpctypes.ErrDuplicateKey)
	// Allowed: delete/delete overlap, put in then and else, gets.
	must(cli.Txn(ctx).Then(clientv3.OpDelete(p, clientv3.WithPrefix()), clientv3.OpDelete(p+"k")).Commit())
	must(cli.Txn(ctx).Then(clientv3.OpPut(p+"a", "1"), clientv3.OpGet(p+"a")).Else(clientv3.OpPut(p+"a", "2")).Commit())

	// More than 128 ops in one list.
	ops := make([]clientv3.Op, 129)
	for i := range ops {
		ops[i] = clientv3.OpGet(p + "k")
	}
	_, err = cli.Txn(ctx).Then(ops...).Commit()
	wantErr(t, "129 ops", err, rpctypes.ErrTooManyOps)
	cmps := make([]clientv3.Cmp, 129)
	for i := range cmps {
		cmps[i] = clientv3.Compare(clientv3.Version(p+"k"), ">", 0)
	}
	_, err = cli.Txn(ctx).If(cmps...).Commit()
	wantErr(t, "129 compares", err, rpctypes.ErrTooManyOps)
	must(cli.Txn(ctx).If(cmps[:128]...).Then(ops[:128]...).Else(ops[:128]...).Commit())
	// Nested ops count against the same budget.
	_, err = cli.Txn(ctx).Then(append([]clientv3.Op{clientv3.OpTxn(nil, ops[:100], nil)}, ops[:100]...)...).Commit()
	wantErr(t, "nested ops over budget", err, rpctypes.ErrTooManyOps)

	// Ignore value on a missing key inside a txn.
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"nope", "", clientv3.WithIgnoreValue())).Commit()
	wantErr(t, "txn ignore value missing key", err, rpctypes.ErrKeyNotFound)
	// A RequestOp with nothing set (only reachable through the raw gRPC API): "key not found".
	_, err = pb.NewKVClient(cli.ActiveConnection()).Txn(ctx, &pb.TxnRequest{Success: []*pb.RequestOp{{}}})
	wantErr(t, "empty RequestOp", rpctypes.Error(err), rpctypes.ErrKeyNotFound)
}
