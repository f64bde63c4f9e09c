package main

// The checks on a recorded history (see main.go): watch guarantees, writes against the watch
// history, serializable reads, linearizability with porcupine. Also run offline on a saved run
// folder with -check-dir.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
)

// checkHistory adds its findings to res and returns the reference event history and whether the
// watch history was complete enough to judge the KV history by.
func checkHistory(res *Result, records []Record, watchers, resume []*Watcher, finalRev int64, caughtUp bool, out string, checkTimeout time.Duration, viz bool) (*Reference, bool) {
	problem := func(f string, a ...any) { res.Problems = append(res.Problems, fmt.Sprintf(f, a...)) }
	// Every Compact that may have taken effect (acknowledged, or its outcome unknown): a watcher
	// handed an event from history after one at or above the event's revision was called cannot
	// get its prev_kv (etcd leaves prev_kv out then too).
	var compactions []Compaction
	for _, r := range records {
		if r.Input.Kind == OpCompact && (r.Output.Unknown || r.Output.Err == "") {
			compactions = append(compactions, Compaction{Call: r.Call, Rev: r.Input.Rev})
		}
	}
	ref, wproblems := checkWatchers(watchers, resume, finalRev, compactions)
	res.Problems = append(res.Problems, wproblems...)
	for _, evs := range ref.ByRev {
		res.WatchEvents += len(evs)
	}
	watchOK := len(wproblems) == 0 && caughtUp

	// Writes against the watch history; resolve unknown writes whose unique values were observed.
	type at struct {
		rev int64
		key int
	}
	putAt := map[string]at{}
	for rev, evs := range ref.ByRev {
		for _, e := range evs {
			if e.Put {
				if prev, dup := putAt[e.Value]; dup {
					problem("value %s written twice: revisions %d and %d (a request applied twice?)", e.Value, prev.rev, rev)
				}
				putAt[e.Value] = at{rev, e.Key}
			}
		}
	}
	putRevs := map[int64]bool{}
	for _, a := range putAt {
		putRevs[a.rev] = true
	}
	delAt := resolveUnknownDeletes(records, ref, putRevs, finalRev)
	issued := map[string]bool{}
	var porc []porcupine.Operation
	for _, r := range records {
		if r.Serializable {
			continue
		}
		in := r.Input
		isWrite := in.Kind != OpGet && in.Kind != OpRange
		if isWrite {
			res.Writes++
		}
		puts := in.Puts
		if in.Kind == OpPut {
			puts = []PutOp{{Key: in.Key, Value: in.Value, Lease: in.Lease}}
		}
		for _, p := range puts {
			issued[p.Value] = true
		}
		o := r.Output
		if o.Unknown {
			res.Unknown++
		}
		if !o.Unknown && o.Err == "" && (in.Kind == OpPut || (in.Kind == OpTxn && o.Succeeded)) {
			for _, p := range puts {
				if a, ok := putAt[p.Value]; caughtUp && (!ok || a.rev != o.Rev || a.key != p.Key) && !(!ok && o.Rev < ref.CompactedBelow) {
					problem("acknowledged put k%d=%s at revision %d is not in the watch history that way (watch: %+v, found %v)", p.Key, p.Value, o.Rev, a, ok)
				}
			}
		}
		if o.Unknown && watchOK && (in.Kind == OpPut || in.Kind == OpTxn) {
			found := int64(0)
			for _, p := range puts {
				if a, ok := putAt[p.Value]; ok {
					found = a.rev
				}
			}
			switch {
			case found != 0:
				res.UnknownPatched++
				r.Output = Output{Rev: found, Succeeded: true}
			case !ref.holeAfter(floorBefore(records, r.Call), finalRev):
				res.UnknownPatched++
				continue // never happened (or a txn that took its else branch: no effect)
			default:
				// Its revision may be one no watcher saw (compacted while every watcher was
				// away): it stays unknown.
			}
		}
		if o.Unknown && watchOK && in.Kind == OpDelete {
			if rev, ok := delAt[r.Call]; ok {
				res.UnknownPatched++
				if rev == 0 {
					continue // no unexplained delete of its key in the history: it had no effect
				}
				r.Output = Output{Rev: rev, Deleted: 1}
			}
		}
		porc = append(porc, porcupine.Operation{ClientId: r.Client, Input: in, Output: r.Output, Call: r.Call, Return: r.Return, Metadata: r.Member})
	}
	for v := range putAt {
		if !issued[v] {
			problem("watch history holds value %s that no request wrote", v)
		}
	}

	// Serializable reads: each must match the history at the revision it reports.
	if watchOK {
		var ser []Record
		for _, r := range records {
			if r.Serializable && r.Output.Err == "" && !r.Output.Unknown {
				ser = append(ser, r)
			}
		}
		sort.Slice(ser, func(a, b int) bool { return ser[a].Output.Rev < ser[b].Output.Rev })
		var st [NKeys]*KVOut
		rev := int64(1)
		holed := false
		for _, r := range ser {
			if r.Output.Rev > finalRev {
				problem("serializable get at %s reports revision %d beyond the final %d", r.Member, r.Output.Rev, finalRev)
				continue
			}
			for rev < r.Output.Rev {
				rev++
				if _, ok := ref.ByRev[rev]; !ok {
					holed = true // a revision compacted before any watcher saw it: state unknown from here
				}
				for _, e := range ref.ByRev[rev] {
					if e.Put {
						st[e.Key] = &KVOut{Key: e.Key, Value: e.Value, Mod: e.Mod, Create: e.Create, Ver: e.Ver, Lease: e.Lease}
					} else {
						st[e.Key] = nil
					}
				}
			}
			var want []KVOut
			if kv := st[r.Input.Key]; kv != nil {
				want = []KVOut{*kv}
			}
			if !holed && !kvsEqual(want, r.Output.KVs) {
				problem("serializable get(k%d) at %s, revision %d: got %+v, the history says %+v", r.Input.Key, r.Member, r.Output.Rev, r.Output.KVs, want)
			}
		}
	}

	// Linearizability.
	t0 := time.Now()
	model := kvModel()
	model.DescribeOperationMetadata = func(m interface{}) string { return fmt.Sprint(m) }
	result, info := porcupine.CheckOperationsVerbose(model, porc, checkTimeout)
	res.CheckSeconds = time.Since(t0).Seconds()
	switch result {
	case porcupine.Ok:
		res.Linearizable = "yes"
	case porcupine.Illegal:
		res.Linearizable = "no"
		problem("history is not linearizable: see %s", filepath.Join(out, "history.html"))
	default:
		res.Linearizable = "no"
		problem("linearizability check timed out after %s", checkTimeout)
	}
	if result != porcupine.Ok || viz {
		if err := porcupine.VisualizePath(model, info, filepath.Join(out, "history.html")); err != nil {
			problem("visualisation: %v", err)
		}
	}

	return ref, watchOK
}

// resolveUnknownDeletes decides, from the watch history, what became of Deletes whose outcome the
// client never learned (they would otherwise stay pending forever in porcupine, able to fire at
// any later point, and the search explodes). A revision whose only event is a DELETE of key k and
// that no acknowledged or resolved write explains was made by an unknown delete of k (or by an
// unknown LeaseRevoke: then the delete is left unresolved). The delete gets the first such
// revision after every revision acknowledged before it was called. With none, and no revision
// missing from the watch history after that point, the delete had no effect (deleting an absent
// key changes nothing). Result: call time -> revision (0 = no effect); absent = unresolved.
func resolveUnknownDeletes(records []Record, ref *Reference, putRevs map[int64]bool, finalRev int64) map[int64]int64 {
	explained := map[int64]bool{}
	for rev := range putRevs {
		explained[rev] = true
	}
	unknownRevokes := map[int64]bool{}
	for _, r := range records {
		o := r.Output
		if r.Input.Kind == OpRevoke && o.Unknown {
			unknownRevokes[r.Input.Lease] = true
		}
		if o.Unknown || o.Err != "" || r.Serializable {
			continue
		}
		switch r.Input.Kind {
		case OpDelete:
			if o.Deleted > 0 {
				explained[o.Rev] = true
			}
		case OpTxn:
			if o.Succeeded {
				explained[o.Rev] = true
			}
		case OpPut:
			explained[o.Rev] = true
		case OpRevoke:
			if revokeMayHaveMade(records, ref, r) {
				explained[o.Rev] = true
			}
		}
	}
	var dels []Record
	for _, r := range records {
		if r.Input.Kind == OpDelete && r.Output.Unknown && !r.Serializable {
			dels = append(dels, r)
		}
	}
	sort.Slice(dels, func(a, b int) bool { return dels[a].Call < dels[b].Call })
	used := map[int64]bool{}
	out := map[int64]int64{}
	for _, d := range dels {
		floor := floorBefore(records, d.Call)
		resolved := false
		for rev := floor + 1; rev <= finalRev && !resolved; rev++ {
			evs, seen := ref.ByRev[rev]
			if !seen {
				break // a revision no watcher saw: cannot tell what happened from here
			}
			if explained[rev] || used[rev] || len(evs) != 1 || evs[0].Put || evs[0].Key != d.Input.Key {
				continue
			}
			if prev := ref.stateAt(rev - 1)[d.Input.Key]; prev != nil && prev.Lease != 0 && unknownRevokes[prev.Lease] {
				break // could be that revoke's
			}
			used[rev] = true
			out[d.Call] = rev
			resolved = true
		}
		if resolved {
			continue
		}
		if !ref.holeAfter(floor, finalRev) {
			out[d.Call] = 0
		}
	}
	return out
}

// revokeMayHaveMade: a LeaseRevoke answers with the revision after it, which is its own only if
// it deleted keys. When the lease's keys were already gone, it is the current revision, made by
// another request (seed 536000004: an unknown delete of the lease's only key made revision 2015,
// reads saw 2015 before the revoke was even called, and the revoke then answered 2015). So the
// revoke explains its revision only if no request answered before the revoke was called had seen
// it, and that revision's events are deletes of keys attached to the lease.
func revokeMayHaveMade(records []Record, ref *Reference, r Record) bool {
	rev := r.Output.Rev
	if floorBefore(records, r.Call) >= rev {
		return false
	}
	for _, e := range ref.ByRev[rev] {
		if e.Put || (e.Prev != nil && e.Prev.Lease != r.Input.Lease) {
			return false
		}
	}
	return true
}

// floorBefore: the highest revision a request answered before time `call` reported; whatever a
// request called at `call` did has a higher revision.
func floorBefore(records []Record, call int64) int64 {
	var floor int64
	for _, r := range records {
		if !r.Output.Unknown && r.Output.Err == "" && r.Return < call && r.Output.Rev > floor {
			floor = r.Output.Rev
		}
	}
	return floor
}

// holeAfter: some revision in (floor, finalRev] is in no watcher's history (compacted while every
// watcher was away), so what happened there cannot be read from the watch history.
func (ref *Reference) holeAfter(floor, finalRev int64) bool {
	for rev := floor + 1; rev <= finalRev; rev++ {
		if _, ok := ref.ByRev[rev]; !ok {
			return true
		}
	}
	return false
}

// checkDir re-runs the history checks on a saved run folder (history.json, watches.json,
// result.json), without a cluster: for analysing a failed run, or a change to the checks.
func checkDir(dir string, checkTimeout time.Duration) *Result {
	res := &Result{Problems: []string{}}
	var records []Record
	var w struct {
		Long   []*Watcher `json:"long"`
		Resume []*Watcher `json:"resume"`
	}
	var prev Result
	for name, v := range map[string]any{"history.json": &records, "watches.json": &w, "result.json": &prev} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %v", name, err))
			return res
		}
	}
	res.Seed, res.FinalRev, res.Records = prev.Seed, prev.FinalRev, len(records)
	checkHistory(res, records, w.Long, w.Resume, prev.FinalRev, true, dir, checkTimeout, false)
	return res
}
