package main

// Unit tests of the history checker on small hand-written histories (no cluster: the endpoint
// the compatibility suite passes is not used).

import (
	"math"
	"testing"
	"time"
)

const lease = int64(0x432d8a1b2c3d4e5f)

// A history from seed 536000004 (one member, SIGSTOP): a Delete of the lease's only key timed
// out on the client but was applied later (revision 3); reads saw revision 3 before the
// LeaseRevoke was called; the revoke then found no key and answered the current revision, 3.
func revokeAfterUnknownDelete(revokeCall int64) []Record {
	return []Record{
		{Client: 0, Input: Input{Kind: OpPut, Key: 3, Value: "c0-1", Lease: lease}, Output: Output{Rev: 2}, Call: 10, Return: 20},
		{Client: 1, Input: Input{Kind: OpDelete, Key: 3}, Output: Output{Unknown: true}, Call: 30, Return: math.MaxInt64},
		{Client: 2, Input: Input{Kind: OpGet, Key: 3}, Output: Output{Rev: 3}, Call: 40, Return: 50},
		{Client: 0, Input: Input{Kind: OpRevoke, Lease: lease}, Output: Output{Rev: 3}, Call: revokeCall, Return: revokeCall + 10},
	}
}

func watchOfRevisions2And3() []*Watcher {
	put := WEvent{Put: true, Key: 3, Value: "c0-1", Mod: 2, Create: 2, Ver: 1, Lease: lease}
	prev := &KVOut{Key: 3, Value: "c0-1", Mod: 2, Create: 2, Ver: 1, Lease: lease}
	return []*Watcher{{
		Name: "w0", Member: "m1", StartRev: 1,
		Resps: []WResp{
			{Time: 15, HeaderRev: 2, Events: []WEvent{put}},
			{Time: 35, HeaderRev: 3, Events: []WEvent{{Put: false, Key: 3, Mod: 3, Prev: prev}}},
		},
	}}
}

func check(t *testing.T, records []Record) *Result {
	t.Helper()
	res := &Result{Problems: []string{}}
	checkHistory(res, records, watchOfRevisions2And3(), nil, 3, true, t.TempDir(), 10*time.Second, false)
	return res
}

func TestRevokeAnsweringAnEarlierRevisionDoesNotExplainIt(t *testing.T) {
	res := check(t, revokeAfterUnknownDelete(60))
	if res.Linearizable != "yes" || len(res.Problems) != 0 {
		t.Fatalf("linearizable %q, problems %v: the unknown delete made revision 3, the revoke deleted nothing", res.Linearizable, res.Problems)
	}
	if res.UnknownPatched != 1 {
		t.Fatalf("unknown writes resolved from the watch history: %d, want 1 (the delete, at revision 3)", res.UnknownPatched)
	}
}

func TestRevokeCalledBeforeItsRevisionWasSeenMayHaveMadeIt(t *testing.T) {
	// The revoke was called before anyone saw revision 3: it may have deleted the key itself,
	// and the unknown delete then did nothing. Still linearizable, either way.
	records := revokeAfterUnknownDelete(35)
	records[2].Call, records[2].Return = 70, 80 // the read comes after the revoke
	res := check(t, records)
	if res.Linearizable != "yes" || len(res.Problems) != 0 {
		t.Fatalf("linearizable %q, problems %v", res.Linearizable, res.Problems)
	}
}

func TestStaleReadIsCaught(t *testing.T) {
	// The checker must still fail a read that misses an acknowledged write.
	records := revokeAfterUnknownDelete(60)
	records[2].Call, records[2].Return = 75, 80
	records[2].Output = Output{Rev: 2, KVs: []KVOut{{Key: 3, Value: "c0-1", Mod: 2, Create: 2, Ver: 1, Lease: lease}}}
	res := check(t, records)
	if res.Linearizable != "no" {
		t.Fatalf("linearizable %q for a read of revision 2 after the revoke answered 3", res.Linearizable)
	}
}
