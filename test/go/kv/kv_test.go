package kv

import (
	"strings"
	"testing"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestPutGet(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	k := p + "k"

	r1 := must(cli.Put(ctx, k, "v1"))
	R1 := r1.Header.Revision
	if r1.PrevKv != nil {
		t.Errorf("PrevKv without WithPrevKV: %v", r1.PrevKv)
	}
	if r1.Header.ClusterId == 0 || r1.Header.MemberId == 0 || r1.Header.RaftTerm == 0 {
		t.Errorf("header not filled: %+v", r1.Header)
	}

	g := must(cli.Get(ctx, k))
	eq(t, "get header revision", g.Header.Revision, R1)
	eq(t, "count", g.Count, int64(1))
	eq(t, "more", g.More, false)
	if len(g.Kvs) != 1 {
		t.Fatalf("kvs: %v", g.Kvs)
	}
	kv := g.Kvs[0]
	eq(t, "key", string(kv.Key), k)
	eq(t, "value", string(kv.Value), "v1")
	eq(t, "create_revision", kv.CreateRevision, R1)
	eq(t, "mod_revision", kv.ModRevision, R1)
	eq(t, "version", kv.Version, int64(1))
	eq(t, "lease", kv.Lease, int64(0))

	// Same value again: still a new revision and version+1.
	r2 := must(cli.Put(ctx, k, "v1", clientv3.WithPrevKV()))
	eq(t, "put same value revision", r2.Header.Revision, R1+1)
	if r2.PrevKv == nil {
		t.Fatalf("WithPrevKV: no PrevKv")
	}
	eq(t, "prev value", string(r2.PrevKv.Value), "v1")
	eq(t, "prev version", r2.PrevKv.Version, int64(1))
	eq(t, "prev mod_revision", r2.PrevKv.ModRevision, R1)
	eq(t, "prev create_revision", r2.PrevKv.CreateRevision, R1)

	g = must(cli.Get(ctx, k))
	eq(t, "version after 2nd put", g.Kvs[0].Version, int64(2))
	eq(t, "create_revision kept", g.Kvs[0].CreateRevision, R1)
	eq(t, "mod_revision after 2nd put", g.Kvs[0].ModRevision, R1+1)

	// PrevKV of a put creating a key: none.
	r3 := must(cli.Put(ctx, p+"new", "x", clientv3.WithPrevKV()))
	if r3.PrevKv != nil {
		t.Errorf("PrevKv of a new key: %v", r3.PrevKv)
	}
	eq(t, "revision", r3.Header.Revision, R1+2)

	// Missing key: empty, count 0, header = current revision.
	g = must(cli.Get(ctx, p+"missing"))
	eq(t, "missing kvs", len(g.Kvs), 0)
	eq(t, "missing count", g.Count, int64(0))
	eq(t, "missing header revision", g.Header.Revision, R1+2)

	// Delete then put: version restarts at 1 with a new create_revision.
	d := must(cli.Delete(ctx, k))
	eq(t, "deleted", d.Deleted, int64(1))
	eq(t, "delete revision", d.Header.Revision, R1+3)
	r4 := must(cli.Put(ctx, k, "again"))
	eq(t, "put after delete revision", r4.Header.Revision, R1+4)
	g = must(cli.Get(ctx, k))
	eq(t, "version after recreate", g.Kvs[0].Version, int64(1))
	eq(t, "create_revision after recreate", g.Kvs[0].CreateRevision, R1+4)

	// Binary keys and values survive unchanged.
	bk, bv := p+"bin\x00\xff\x01", "\x00\xfe\xffvalue\n"
	must(cli.Put(ctx, bk, bv))
	g = must(cli.Get(ctx, bk))
	if len(g.Kvs) != 1 || string(g.Kvs[0].Key) != bk || string(g.Kvs[0].Value) != bv {
		t.Errorf("binary key/value: %v", g.Kvs)
	}

	// An empty value is allowed.
	must(cli.Put(ctx, p+"empty", ""))
	g = must(cli.Get(ctx, p+"empty"))
	if len(g.Kvs) != 1 || len(g.Kvs[0].Value) != 0 {
		t.Errorf("empty value: %v", g.Kvs)
	}
}

// putAll puts names (under p) in order, one revision each; returns the revision of each put.
func putAll(t *testing.T, cli *clientv3.Client, p string, kvs ...[2]string) map[string]int64 {
	t.Helper()
	revs := map[string]int64{}
	for _, kv := range kvs {
		r := must(cli.Put(ctxT(t), p+kv[0], kv[1]))
		revs[kv[0]] = r.Header.Revision
	}
	return revs
}

func TestGetRangeOptions(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	// Values are in a different order than keys.
	revs := putAll(t, cli, p, [2]string{"a", "v3"}, [2]string{"b", "v1"}, [2]string{"c", "v5"}, [2]string{"d", "v2"}, [2]string{"e", "v4"})
	// Bump versions: b to 3, d to 2. Mod revisions now: a,c,e < b < d < b(final)
	must(cli.Put(ctx, p+"b", "v1"))
	must(cli.Put(ctx, p+"d", "v2"))
	last := must(cli.Put(ctx, p+"b", "v1")).Header.Revision
	// Outside the prefix, sorting after it.
	must(cli.Put(ctx, strings.TrimSuffix(p, "/")+"0", "outside"))
	cur := last + 1

	all := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "prefix keys", keys(all.Kvs), withP(p, "a", "b", "c", "d", "e"))
	eq(t, "prefix count", all.Count, int64(5))
	eq(t, "prefix more", all.More, false)
	eq(t, "header revision", all.Header.Revision, cur)

	l := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithLimit(2)))
	eqStrings(t, "limit 2", keys(l.Kvs), withP(p, "a", "b"))
	eq(t, "limit 2 more", l.More, true)
	eq(t, "limit 2 count", l.Count, int64(5))
	l = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithLimit(5)))
	eq(t, "limit 5 more", l.More, false)
	eq(t, "limit 5 len", len(l.Kvs), 5)
	l = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithLimit(4)))
	eq(t, "limit 4 more", l.More, true)

	r := must(cli.Get(ctx, p+"b", clientv3.WithRange(p+"d")))
	eqStrings(t, "range [b,d)", keys(r.Kvs), withP(p, "b", "c"))
	eq(t, "range count", r.Count, int64(2))
	r = must(cli.Get(ctx, p+"d", clientv3.WithRange(p+"b")))
	eq(t, "range end < key: empty", len(r.Kvs), 0)
	eq(t, "range end < key: count", r.Count, int64(0))

	fk := must(cli.Get(ctx, p+"c", clientv3.WithFromKey(), clientv3.WithLimit(4)))
	eqStrings(t, "from key", keys(fk.Kvs), append(withP(p, "c", "d", "e"), strings.TrimSuffix(p, "/")+"0"))
	if fk.Count < 4 {
		t.Errorf("from key count %d < 4", fk.Count)
	}

	// Sorting.
	s := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortDescend)))
	eqStrings(t, "sort value desc", values(s.Kvs), []string{"v5", "v4", "v3", "v2", "v1"})
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortAscend)))
	eqStrings(t, "sort value asc", values(s.Kvs), []string{"v1", "v2", "v3", "v4", "v5"})
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)))
	eqStrings(t, "sort key desc", keys(s.Kvs), withP(p, "e", "d", "c", "b", "a"))
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend)))
	eqStrings(t, "sort mod asc", keys(s.Kvs), withP(p, "a", "c", "e", "d", "b"))
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend)))
	eqStrings(t, "sort create desc", keys(s.Kvs), withP(p, "e", "d", "c", "b", "a"))
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByVersion, clientv3.SortDescend), clientv3.WithLimit(2)))
	eqStrings(t, "sort version desc limit 2", keys(s.Kvs), withP(p, "b", "d"))
	eq(t, "sort+limit more", s.More, true)
	eq(t, "sort+limit count", s.Count, int64(5))
	// sort target != KEY with order NONE is treated as ascending.
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortNone)))
	eqStrings(t, "sort value none", values(s.Kvs), []string{"v1", "v2", "v3", "v4", "v5"})
	// Quirk: order NONE + limit: the server takes the first limit+1 keys in key order, then sorts.
	s = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByValue, clientv3.SortNone), clientv3.WithLimit(2)))
	eqStrings(t, "sort value none limit 2", values(s.Kvs), []string{"v1", "v3"})
	eq(t, "sort value none limit 2 more", s.More, true)

	// keys only / count only.
	ko := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithKeysOnly()))
	eqStrings(t, "keys only keys", keys(ko.Kvs), withP(p, "a", "b", "c", "d", "e"))
	for _, kv := range ko.Kvs {
		if len(kv.Value) != 0 || kv.ModRevision == 0 || kv.CreateRevision == 0 || kv.Version == 0 {
			t.Errorf("keys only kv: %+v", kv)
		}
	}
	co := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithCountOnly()))
	eq(t, "count only kvs", len(co.Kvs), 0)
	eq(t, "count only count", co.Count, int64(5))
	eq(t, "count only more", co.More, false)
	co = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithCountOnly(), clientv3.WithLimit(1)))
	eq(t, "count only+limit count", co.Count, int64(5))

	// Serializable.
	se := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithSerializable()))
	eqStrings(t, "serializable", keys(se.Kvs), withP(p, "a", "b", "c", "d", "e"))
	eq(t, "serializable header revision", se.Header.Revision, cur)

	// Historical reads: header.revision is the current revision, not the requested one.
	h := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithRev(revs["c"])))
	eqStrings(t, "at rev c", keys(h.Kvs), withP(p, "a", "b", "c"))
	eq(t, "at rev header revision", h.Header.Revision, cur)
	eq(t, "at rev count", h.Count, int64(3))
	h = must(cli.Get(ctx, p+"b", clientv3.WithRev(revs["e"])))
	eq(t, "b version at rev e", h.Kvs[0].Version, int64(1))
	h = must(cli.Get(ctx, p+"b", clientv3.WithRev(revs["a"])))
	eq(t, "b at rev a", len(h.Kvs), 0)
	_, err := cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithRev(cur+1))
	wantErr(t, "future rev", err, rpctypes.ErrFutureRev)
	h = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithRev(cur)))
	eq(t, "rev == current", len(h.Kvs), 5)

	// Min/max filters: count is unaffected.
	f := must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMinModRev(revs["e"]+1)))
	eqStrings(t, "min mod rev", keys(f.Kvs), withP(p, "b", "d"))
	eq(t, "min mod rev count", f.Count, int64(5))
	f = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMaxModRev(revs["e"])))
	eqStrings(t, "max mod rev", keys(f.Kvs), withP(p, "a", "c", "e"))
	f = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMinCreateRev(revs["c"])))
	eqStrings(t, "min create rev", keys(f.Kvs), withP(p, "c", "d", "e"))
	f = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMaxCreateRev(revs["b"])))
	eqStrings(t, "max create rev", keys(f.Kvs), withP(p, "a", "b"))
	f = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMinCreateRev(revs["b"]), clientv3.WithMaxCreateRev(revs["d"]), clientv3.WithLimit(2)))
	eqStrings(t, "create filter+limit", keys(f.Kvs), withP(p, "b", "c"))
	eq(t, "create filter+limit more", f.More, true)
	eq(t, "create filter+limit count", f.Count, int64(5))
	f = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithMinCreateRev(revs["b"]), clientv3.WithMaxCreateRev(revs["d"]), clientv3.WithLimit(3)))
	eq(t, "create filter+limit 3 more", f.More, false)
	// etcd's FirstCreate/LastKey helpers.
	fc := must(cli.Get(ctx, p, clientv3.WithFirstCreate()...))
	eqStrings(t, "first create", keys(fc.Kvs), withP(p, "a"))
	lk := must(cli.Get(ctx, p, clientv3.WithLastKey()...))
	eqStrings(t, "last key", keys(lk.Kvs), withP(p, "e"))
}

func TestDelete(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	putAll(t, cli, p, [2]string{"a", "1"}, [2]string{"b", "2"}, [2]string{"c", "3"}, [2]string{"d", "4"}, [2]string{"e", "5"}, [2]string{"f", "6"})
	cur := must(cli.Get(ctx, p+"a")).Header.Revision

	d := must(cli.Delete(ctx, p+"missing"))
	eq(t, "delete missing deleted", d.Deleted, int64(0))
	eq(t, "delete missing revision unchanged", d.Header.Revision, cur)

	d = must(cli.Delete(ctx, p+"a", clientv3.WithPrevKV()))
	eq(t, "delete a", d.Deleted, int64(1))
	eq(t, "delete a revision", d.Header.Revision, cur+1)
	if len(d.PrevKvs) != 1 || string(d.PrevKvs[0].Value) != "1" || d.PrevKvs[0].Version != 1 {
		t.Errorf("delete a prev kvs: %v", d.PrevKvs)
	}

	d = must(cli.Delete(ctx, p+"b", clientv3.WithRange(p+"d"), clientv3.WithPrevKV()))
	eq(t, "delete range [b,d)", d.Deleted, int64(2))
	eq(t, "delete range revision", d.Header.Revision, cur+2)
	eqStrings(t, "delete range prev kvs", keys(d.PrevKvs), withP(p, "b", "c"))
	eqStrings(t, "delete range prev values", values(d.PrevKvs), []string{"2", "3"})

	d = must(cli.Delete(ctx, p))
	eq(t, "delete the prefix itself (no key)", d.Deleted, int64(0))
	d = must(cli.Delete(ctx, p, clientv3.WithPrefix()))
	eq(t, "delete prefix", d.Deleted, int64(3))
	eq(t, "delete prefix revision (one revision for all)", d.Header.Revision, cur+3)
	if d.PrevKvs != nil {
		t.Errorf("PrevKvs without WithPrevKV: %v", d.PrevKvs)
	}
	g := must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eq(t, "after delete prefix", len(g.Kvs), 0)

	// The deleted keys are visible at an older revision.
	g = must(cli.Get(ctx, p, clientv3.WithPrefix(), clientv3.WithRev(cur)))
	eq(t, "at old revision", len(g.Kvs), 6)

	// From key: a prefix that sorts after everything the tests write.
	fp := strings.Replace(p, "/kv-test/", "~kv-test/", 1)
	putAll(t, cli, fp, [2]string{"x", "1"}, [2]string{"y", "2"}, [2]string{"z", "3"})
	d = must(cli.Delete(ctx, fp+"y", clientv3.WithFromKey(), clientv3.WithPrevKV()))
	eq(t, "delete from key", d.Deleted, int64(2))
	eqStrings(t, "delete from key prev", keys(d.PrevKvs), withP(fp, "y", "z"))
	must(cli.Delete(ctx, fp, clientv3.WithPrefix()))
}

func TestErrors(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)

	_, err := cli.Put(ctx, "", "v")
	wantErr(t, "put empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Get(ctx, "")
	wantErr(t, "get empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Delete(ctx, "")
	wantErr(t, "delete empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Txn(ctx).If(clientv3.Compare(clientv3.Version(""), "=", 0)).Commit()
	wantErr(t, "txn compare empty key", err, rpctypes.ErrEmptyKey)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut("", "v")).Commit()
	wantErr(t, "txn put empty key", err, rpctypes.ErrEmptyKey)

	// A lease that was never granted.
	_, err = cli.Put(ctx, p+"leased", "v", clientv3.WithLease(clientv3.LeaseID(0x7eadbeefcafe1234)))
	wantErr(t, "put with unknown lease", err, rpctypes.ErrLeaseNotFound)
	_, err = cli.Txn(ctx).Then(clientv3.OpPut(p+"leased", "v", clientv3.WithLease(clientv3.LeaseID(0x7eadbeefcafe1234)))).Commit()
	wantErr(t, "txn put with unknown lease", err, rpctypes.ErrLeaseNotFound)

	// ignore_value / ignore_lease on a missing key.
	_, err = cli.Put(ctx, p+"missing", "", clientv3.WithIgnoreValue())
	wantErr(t, "ignore value on missing key", err, rpctypes.ErrKeyNotFound)
	_, err = cli.Put(ctx, p+"missing", "v", clientv3.WithIgnoreLease())
	wantErr(t, "ignore lease on missing key", err, rpctypes.ErrKeyNotFound)
	_, err = cli.Put(ctx, p+"missing", "v", clientv3.WithIgnoreValue())
	wantErr(t, "ignore value with a value", err, rpctypes.ErrValueProvided)
	_, err = cli.Put(ctx, p+"missing", "v", clientv3.WithIgnoreLease(), clientv3.WithLease(clientv3.LeaseID(5)))
	wantErr(t, "ignore lease with a lease", err, rpctypes.ErrLeaseProvided)

	// Requests over --max-request-bytes (default 1.5 MiB).
	big := strings.Repeat("x", 1536*1024+1024)
	_, err = cli.Put(ctx, p+"big", big)
	wantErr(t, "put over 1.5 MiB", err, rpctypes.ErrRequestTooLarge)
	// Just under the limit is fine.
	ok := strings.Repeat("y", 1536*1024-1024)
	must(cli.Put(ctx, p+"almost-big", ok))
	g := must(cli.Get(ctx, p+"almost-big"))
	eq(t, "almost big value length", len(g.Kvs[0].Value), len(ok))
	must(cli.Delete(ctx, p+"almost-big"))

	// Nothing above changed the store.
	g = must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eq(t, "no keys written", len(g.Kvs), 0)
}

func TestLeaseOptions(t *testing.T) {
	cli, ctx, p := newClient(t), ctxT(t), prefix(t)
	lease := must(cli.Grant(ctx, 60))
	t.Cleanup(func() { _, _ = cli.Revoke(ctxT(t), lease.ID) })

	must(cli.Put(ctx, p+"k", "v1", clientv3.WithLease(lease.ID)))
	g := must(cli.Get(ctx, p+"k"))
	eq(t, "lease attached", g.Kvs[0].Lease, int64(lease.ID))

	// ignore_lease keeps the lease; ignore_value keeps the value.
	must(cli.Put(ctx, p+"k", "v2", clientv3.WithIgnoreLease()))
	g = must(cli.Get(ctx, p+"k"))
	eq(t, "ignore lease keeps lease", g.Kvs[0].Lease, int64(lease.ID))
	eq(t, "ignore lease value", string(g.Kvs[0].Value), "v2")
	r := must(cli.Put(ctx, p+"k", "", clientv3.WithIgnoreValue(), clientv3.WithPrevKV()))
	g = must(cli.Get(ctx, p+"k"))
	eq(t, "ignore value keeps value", string(g.Kvs[0].Value), "v2")
	eq(t, "ignore value keeps lease? (no: lease detached)", g.Kvs[0].Lease, int64(0))
	eq(t, "ignore value version", g.Kvs[0].Version, int64(3))
	eq(t, "ignore value mod rev", g.Kvs[0].ModRevision, r.Header.Revision)
	eq(t, "ignore value prev lease", r.PrevKv.Lease, int64(lease.ID))

	// A put without a lease detaches it.
	must(cli.Put(ctx, p+"k2", "v", clientv3.WithLease(lease.ID)))
	must(cli.Put(ctx, p+"k2", "v"))
	g = must(cli.Get(ctx, p+"k2"))
	eq(t, "put without lease detaches", g.Kvs[0].Lease, int64(0))

	// Both ignores together keep both.
	must(cli.Put(ctx, p+"k3", "v3", clientv3.WithLease(lease.ID)))
	must(cli.Put(ctx, p+"k3", "", clientv3.WithIgnoreValue(), clientv3.WithIgnoreLease()))
	g = must(cli.Get(ctx, p+"k3"))
	eq(t, "both ignores value", string(g.Kvs[0].Value), "v3")
	eq(t, "both ignores lease", g.Kvs[0].Lease, int64(lease.ID))
	eq(t, "both ignores version", g.Kvs[0].Version, int64(2))

	// Lease compare in a txn.
	tr := must(cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(p+"k3"), "=", lease.ID)).Commit())
	eq(t, "lease compare =", tr.Succeeded, true)
	tr = must(cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(p+"k2"), "=", clientv3.NoLease)).Commit())
	eq(t, "lease compare = NoLease", tr.Succeeded, true)
	tr = must(cli.Txn(ctx).If(clientv3.Compare(clientv3.LeaseValue(p+"k3"), ">", 0)).Commit())
	eq(t, "lease compare >", tr.Succeeded, true)

	// Revoking deletes the attached keys (k3 only), in one revision.
	before := must(cli.Get(ctx, p+"k3")).Header.Revision
	must(cli.Revoke(ctx, lease.ID))
	g = must(cli.Get(ctx, p, clientv3.WithPrefix()))
	eqStrings(t, "after revoke", keys(g.Kvs), withP(p, "k", "k2"))
	eq(t, "revoke revision", g.Header.Revision, before+1)
}
