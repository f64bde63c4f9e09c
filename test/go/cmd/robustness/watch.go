package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

type WEvent struct {
	Put    bool
	Key    int
	Value  string
	Mod    int64
	Create int64
	Ver    int64
	Lease  int64
	Prev   *KVOut
}

type WResp struct {
	Time       int64
	HeaderRev  int64
	Events     []WEvent
	Canceled   bool
	CompactRev int64
	Err        string
}

// Watcher is one watch stream on the whole keyspace, re-opened after it ends.
type Watcher struct {
	Name     string
	Member   string
	StartRev int64
	Resps    []WResp
	// Gaps: revisions the watcher legitimately skipped because they were compacted.
	Gaps [][2]int64
	mu   sync.Mutex
	last int64
}

func (w *Watcher) lastRev() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

func convertResp(h *History, resp clientv3.WatchResponse) WResp {
	r := WResp{Time: h.now(), HeaderRev: resp.Header.Revision, Canceled: resp.Canceled, CompactRev: resp.CompactRevision}
	if err := resp.Err(); err != nil {
		r.Err = err.Error()
	}
	for _, ev := range resp.Events {
		e := WEvent{Put: ev.Type == clientv3.EventTypePut, Key: keyIndex(string(ev.Kv.Key)), Value: string(ev.Kv.Value),
			Mod: ev.Kv.ModRevision, Create: ev.Kv.CreateRevision, Ver: ev.Kv.Version, Lease: ev.Kv.Lease}
		if ev.PrevKv != nil {
			p := kvOuts([]*mvccpb.KeyValue{ev.PrevKv})
			e.Prev = &p[0]
		}
		r.Events = append(r.Events, e)
	}
	return r
}

// run keeps the watch open from StartRev until ctx ends, resuming after each cancellation.
func (w *Watcher) run(ctx context.Context, cli *clientv3.Client, h *History) {
	next := w.StartRev
	for ctx.Err() == nil {
		wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		ch := cli.Watch(wctx, keyPrefix, clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithRev(next))
		for resp := range ch {
			r := convertResp(h, resp)
			w.mu.Lock()
			w.Resps = append(w.Resps, r)
			for _, e := range r.Events {
				if e.Mod > w.last {
					w.last = e.Mod
				}
				next = e.Mod + 1
			}
			if r.CompactRev != 0 {
				w.Gaps = append(w.Gaps, [2]int64{next, r.CompactRev - 1})
				next = r.CompactRev
			}
			w.mu.Unlock()
		}
		cancel()
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ResumeWatches are short watches opened from a past revision during the traffic.
type ResumeWatches struct {
	mu      sync.Mutex
	h       *History
	Watches []*Watcher
}

func (rw *ResumeWatches) run(ctx context.Context, cli *clientv3.Client, from int64, member string) {
	w := &Watcher{Name: fmt.Sprintf("resume@%d", from), Member: member, StartRev: from}
	wctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ch := cli.Watch(wctx, keyPrefix, clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithRev(from))
	n := 0
	for resp := range ch {
		r := convertResp(rw.h, resp)
		w.Resps = append(w.Resps, r)
		n += len(r.Events)
		if n >= 30 || r.Canceled || r.CompactRev != 0 {
			break
		}
	}
	cancel()
	for range ch {
	}
	rw.mu.Lock()
	rw.Watches = append(rw.Watches, w)
	rw.mu.Unlock()
}

// Reference is the event history every watcher must agree on: events per revision.
type Reference struct {
	// Revisions below this were compacted while some watcher was away (reported to it).
	CompactedBelow int64
	ByRev          map[int64][]WEvent
	Max            int64
}

// Compaction is a Compact request that may have taken effect: called at Call (ns since the
// run's start), compacting below Rev.
type Compaction struct {
	Call int64
	Rev  int64
}

// prevCompacted reports whether an event at revision rev handed to a watcher at time t may lack
// its prev_kv because of a compaction: etcd reads prev_kv at rev-1 when it sends the event, and
// that read fails once a compaction at rev or above has been applied, which can only have
// happened if one was called before t.
func prevCompacted(compactions []Compaction, rev, t int64) bool {
	for _, c := range compactions {
		if c.Call < t && c.Rev >= rev {
			return true
		}
	}
	return false
}

// eventsEqual compares two watchers' events of one revision; with lenientPrev a prev_kv one of
// them lacks is not held against it (it was compacted when that watcher was handed the event).
func eventsEqual(a, b []WEvent, lenientPrev bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Put != y.Put || x.Key != y.Key || x.Value != y.Value || x.Mod != y.Mod || x.Create != y.Create || x.Ver != y.Ver || x.Lease != y.Lease {
			return false
		}
		if lenientPrev && (x.Prev == nil || y.Prev == nil) {
			continue
		}
		if (x.Prev == nil) != (y.Prev == nil) || (x.Prev != nil && *x.Prev != *y.Prev) {
			return false
		}
	}
	return true
}

// checkWatchers verifies each watcher's ordering, uniqueness and atomicity, builds the
// reference history from all of them (they must agree), and checks that the long watchers saw
// every revision in (1, finalRev] except compaction gaps, and that prev_kv/version/create
// revision are consistent with the replayed history.
func checkWatchers(long []*Watcher, short []*Watcher, finalRev int64, compactions []Compaction) (*Reference, []string) {
	var problems []string
	bad := func(f string, a ...any) {
		if len(problems) < 50 {
			problems = append(problems, fmt.Sprintf(f, a...))
		}
	}
	ref := &Reference{ByRev: map[int64][]WEvent{}}
	perWatcher := func(w *Watcher) map[int64][]WEvent {
		byRev := map[int64][]WEvent{}
		respOf := map[int64]int{}
		last := int64(0)
		seen := map[[2]int64]bool{}
		for ri, r := range w.Resps {
			for _, e := range r.Events {
				if e.Mod < last {
					bad("watch %s (%s): not ordered: revision %d after %d", w.Name, w.Member, e.Mod, last)
				}
				if e.Mod < w.StartRev {
					bad("watch %s (%s): event at revision %d before the start revision %d", w.Name, w.Member, e.Mod, w.StartRev)
				}
				if p, ok := respOf[e.Mod]; ok && p != ri {
					bad("watch %s (%s): not atomic: revision %d split over responses %d and %d", w.Name, w.Member, e.Mod, p, ri)
				}
				id := [2]int64{e.Mod, int64(e.Key)}
				if seen[id] {
					bad("watch %s (%s): not unique: key k%d at revision %d delivered twice", w.Name, w.Member, e.Key, e.Mod)
				}
				seen[id] = true
				respOf[e.Mod] = ri
				last = e.Mod
				byRev[e.Mod] = append(byRev[e.Mod], e)
			}
		}
		return byRev
	}
	all := append(append([]*Watcher{}, long...), short...)
	// A watch resumed at exactly the compaction revision cannot get prev_kv for that revision's
	// events (the previous revision is compacted; etcd leaves prev_kv out then too).
	// So can an event some watcher was handed without prev_kv after a Compact at or above its
	// revision was called (the watcher was behind, but not so far as to be canceled).
	compactRevs := map[int64]bool{}
	for _, w := range all {
		for _, r := range w.Resps {
			if r.CompactRev != 0 {
				compactRevs[r.CompactRev] = true
			}
			for _, e := range r.Events {
				if e.Prev == nil && prevCompacted(compactions, e.Mod, r.Time) {
					compactRevs[e.Mod] = true
				}
			}
		}
	}
	hasPrev := func(evs []WEvent) bool {
		for _, e := range evs {
			if e.Prev != nil {
				return true
			}
		}
		return false
	}
	maps := make([]map[int64][]WEvent, len(all))
	for i, w := range all {
		maps[i] = perWatcher(w)
		for rev, evs := range maps[i] {
			if r, ok := ref.ByRev[rev]; ok {
				if !eventsEqual(r, evs, compactRevs[rev]) {
					bad("watchers disagree at revision %d: %s (%s) got %s, another got %s", rev, all[i].Name, all[i].Member, fmtEvents(evs), fmtEvents(r))
				} else if !hasPrev(r) && hasPrev(evs) {
					ref.ByRev[rev] = evs
				}
			} else {
				ref.ByRev[rev] = evs
			}
			if rev > ref.Max {
				ref.Max = rev
			}
		}
	}
	if ref.Max > finalRev {
		bad("watch delivered revision %d beyond the final revision %d", ref.Max, finalRev)
	}
	// Reliability: the long watchers see every revision 2..finalRev (each revision changes at
	// least one key of the keyspace, so each has events) except compacted gaps.
	for i, w := range long {
		inGap := func(rev int64) bool {
			for _, g := range w.Gaps {
				if rev >= g[0] && rev <= g[1] {
					return true
				}
			}
			return false
		}
		missing := 0
		for rev := w.StartRev; rev <= finalRev; rev++ {
			if rev < 2 {
				continue
			}
			if _, ok := maps[i][rev]; !ok && !inGap(rev) {
				if missing < 5 {
					bad("watch %s (%s): not reliable: revision %d missing (no compaction reported)", w.Name, w.Member, rev)
				}
				missing++
			}
		}
		if missing > 5 {
			bad("watch %s (%s): %d revisions missing in total", w.Name, w.Member, missing)
		}
	}
	// Resumable: a watch opened at revision X delivers exactly the reference from X on (a prefix).
	for j, w := range short {
		m := maps[len(long)+j]
		if len(m) == 0 {
			continue
		}
		revs := make([]int64, 0, len(m))
		for r := range m {
			revs = append(revs, r)
		}
		sort.Slice(revs, func(a, b int) bool { return revs[a] < revs[b] })
		compacted := false
		for _, r := range w.Resps {
			if r.CompactRev != 0 {
				compacted = true
			}
		}
		expect := w.StartRev
		if expect < 2 {
			expect = 2
		}
		for _, rev := range revs {
			if rev != expect && !compacted {
				bad("watch %s (%s): not resumable: first/next revision %d, expected %d", w.Name, w.Member, rev, expect)
				break
			}
			expect = rev + 1
		}
	}
	// The reference must be complete for the checks against the KV history. A revision no
	// watcher delivered is excused when it lies below a compaction some watcher was told of: it
	// was compacted while every watcher was away (reconnecting after a kill), as on etcd.
	for _, w := range all {
		for _, r := range w.Resps {
			if r.CompactRev > ref.CompactedBelow {
				ref.CompactedBelow = r.CompactRev
			}
		}
	}
	missing, excused := 0, 0
	for rev := int64(2); rev <= finalRev; rev++ {
		if _, ok := ref.ByRev[rev]; !ok {
			if rev < ref.CompactedBelow {
				excused++
			} else {
				missing++
			}
		}
	}
	if missing > 0 {
		bad("no watcher delivered %d of the revisions 2..%d", missing, finalRev)
	}
	// Without the complete history the replay below cannot judge prev_kv and versions.
	missing += excused
	// prev_kv, version and create revision against the replayed history.
	var st [NKeys]*KVOut
	for rev := int64(2); rev <= ref.Max; rev++ {
		for _, e := range ref.ByRev[rev] {
			if e.Key < 0 {
				bad("event on a key outside the keyspace at revision %d", rev)
				continue
			}
			cur := st[e.Key]
			if missing == 0 && !(e.Prev == nil && compactRevs[rev]) {
				if (cur == nil) != (e.Prev == nil) || (cur != nil && *cur != *e.Prev) {
					bad("revision %d k%d: prev_kv %s, but the history (watch events so far) says %s", rev, e.Key, fmtKV(e.Prev), fmtKV(cur))
				}
			}
			if e.Put {
				ver, create := int64(1), rev
				if cur != nil {
					ver, create = cur.Ver+1, cur.Create
				}
				if missing == 0 && (e.Ver != ver || e.Create != create) {
					bad("revision %d k%d: version %d create %d, the history says %d/%d", rev, e.Key, e.Ver, e.Create, ver, create)
				}
				st[e.Key] = &KVOut{Key: e.Key, Value: e.Value, Mod: e.Mod, Create: e.Create, Ver: e.Ver, Lease: e.Lease}
			} else {
				if missing == 0 && cur == nil {
					bad("revision %d: delete of k%d which does not exist", rev, e.Key)
				}
				st[e.Key] = nil
			}
		}
	}
	return ref, problems
}

// stateAt replays the reference up to rev.
func (ref *Reference) stateAt(rev int64) [NKeys]*KVOut {
	var st [NKeys]*KVOut
	for r := int64(2); r <= rev; r++ {
		for _, e := range ref.ByRev[r] {
			if e.Key < 0 {
				continue
			}
			if e.Put {
				st[e.Key] = &KVOut{Key: e.Key, Value: e.Value, Mod: e.Mod, Create: e.Create, Ver: e.Ver, Lease: e.Lease}
			} else {
				st[e.Key] = nil
			}
		}
	}
	return st
}

func fmtEvents(evs []WEvent) string {
	var b []string
	for _, e := range evs {
		s := fmt.Sprintf("put k%d=%s mod=%d create=%d ver=%d lease=%x", e.Key, e.Value, e.Mod, e.Create, e.Ver, e.Lease)
		if !e.Put {
			s = fmt.Sprintf("delete k%d mod=%d", e.Key, e.Mod)
		}
		if e.Prev != nil {
			s += fmt.Sprintf(" prev=%s@%d/v%d", e.Prev.Value, e.Prev.Mod, e.Prev.Ver)
		} else {
			s += " prev=none"
		}
		b = append(b, s)
	}
	return "[" + strings.Join(b, "; ") + "]"
}

func fmtKV(kv *KVOut) string {
	if kv == nil {
		return "none"
	}
	return fmt.Sprintf("%s@%d/v%d", kv.Value, kv.Mod, kv.Ver)
}
