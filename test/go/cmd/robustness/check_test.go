package main

// Unit tests of the history checker on small hand-written histories (no cluster: the endpoint
// the compatibility suite passes is not used).

import (
	"math"
	"strings"
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

// A key put at revision 2 and deleted at 3; Compact(3) called at compactCall; one watcher that
// was handed revision 3 at time 35 without prev_kv (read from history, as after a reconnect).
func prevlessDeleteAfterCompact(compactCall int64) ([]Record, []*Watcher) {
	records := []Record{
		{Client: 0, Input: Input{Kind: OpPut, Key: 3, Value: "c0-1"}, Output: Output{Rev: 2}, Call: 10, Return: 20},
		{Client: 1, Input: Input{Kind: OpDelete, Key: 3}, Output: Output{Rev: 3, Deleted: 1}, Call: 22, Return: 28},
		{Client: 2, Input: Input{Kind: OpCompact, Rev: 3}, Output: Output{Rev: 3}, Call: compactCall, Return: compactCall + 2},
	}
	watchers := []*Watcher{{
		Name: "w0", Member: "m1", StartRev: 1,
		Resps: []WResp{
			{Time: 21, HeaderRev: 2, Events: []WEvent{{Put: true, Key: 3, Value: "c0-1", Mod: 2, Create: 2, Ver: 1}}},
			{Time: 35, HeaderRev: 3, Events: []WEvent{{Put: false, Key: 3, Mod: 3}}},
		},
	}}
	return records, watchers
}

func TestPrevKvCompactedBeforeDeliveryIsExcused(t *testing.T) {
	// Seed 276906796: a watcher behind the compaction revision (but not canceled: it resumed at
	// exactly that revision) got the event at it without prev_kv, as etcd sends it.
	records, watchers := prevlessDeleteAfterCompact(30)
	res := &Result{Problems: []string{}}
	checkHistory(res, records, watchers, nil, 3, true, t.TempDir(), 10*time.Second, false)
	if len(res.Problems) != 0 {
		t.Fatalf("problems %v: Compact(3) was called before revision 3 was handed over, so its prev_kv was compacted", res.Problems)
	}
}

func TestPrevKvMissingWithoutACompactionIsCaught(t *testing.T) {
	records, watchers := prevlessDeleteAfterCompact(40) // called after the event was handed over
	res := &Result{Problems: []string{}}
	checkHistory(res, records, watchers, nil, 3, true, t.TempDir(), 10*time.Second, false)
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "revision 3 k3: prev_kv none") {
		t.Fatalf("problems %v, want the missing prev_kv of revision 3", res.Problems)
	}
}
