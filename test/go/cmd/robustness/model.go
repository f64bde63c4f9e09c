package main

// A small non-deterministic model of etcd's KV (with revisions), lease revocation and
// compaction, for porcupine. It follows the idea of etcd's tests/robustness/model: a request
// whose outcome is unknown (timeout, lost connection) may or may not have taken effect, so its
// step returns both the state where it happened and the state where it did not.
//
// The keyspace is a fixed set of NKeys keys so a state is a comparable value (an array), which
// keeps Equal and Hash cheap.

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/anishathalye/porcupine"
)

const NKeys = 8

type OpKind int

const (
	OpGet OpKind = iota
	OpRange
	OpPut
	OpDelete
	OpTxn
	OpRevoke
	OpCompact
)

func (k OpKind) String() string {
	return [...]string{"get", "range", "put", "delete", "txn", "revoke", "compact"}[k]
}

type PutOp struct {
	Key   int
	Value string
	Lease int64
}

// Input is one request. Get/Put/Delete use Key (and Value, Lease for Put). Txn: if
// mod_revision(CmpKey) == CmpModRev then Puts and Dels else get(CmpKey). Revoke: Lease.
// Compact: Rev.
type Input struct {
	Kind      OpKind
	Key       int
	Value     string
	Lease     int64
	CmpKey    int
	CmpModRev int64
	Puts      []PutOp
	Dels      []int
	Rev       int64
}

type KVOut struct {
	Key    int
	Value  string
	Mod    int64
	Create int64
	Ver    int64
	Lease  int64
}

// Output is one response. Unknown: the request failed and may or may not have happened.
// Err: a definite error ("compacted", "future", "lease not found").
type Output struct {
	Unknown   bool
	Err       string
	Rev       int64
	KVs       []KVOut
	Deleted   int64
	Succeeded bool
}

type KV struct {
	Value  string
	Mod    int64
	Create int64
	Ver    int64 // 0: absent
	Lease  int64
}

type State struct {
	Keys       [NKeys]KV
	Rev        int64
	CompactRev int64
	Revoked    string // sorted, comma-separated ids of revoked leases
}

func initState() State { return State{Rev: 1} }

func (s State) revoked(l int64) bool {
	if l == 0 || s.Revoked == "" {
		return false
	}
	id := fmt.Sprint(l)
	for _, x := range strings.Split(s.Revoked, ",") {
		if x == id {
			return true
		}
	}
	return false
}

func (s State) withRevoked(l int64) string {
	ids := []string{}
	if s.Revoked != "" {
		ids = strings.Split(s.Revoked, ",")
	}
	ids = append(ids, fmt.Sprint(l))
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func (s State) kvOut(k int) []KVOut {
	kv := s.Keys[k]
	if kv.Ver == 0 {
		return nil
	}
	return []KVOut{{Key: k, Value: kv.Value, Mod: kv.Mod, Create: kv.Create, Ver: kv.Ver, Lease: kv.Lease}}
}

func put(s *State, k int, v string, lease int64, rev int64) {
	kv := s.Keys[k]
	if kv.Ver == 0 {
		kv.Create = rev
	}
	kv.Ver++
	kv.Value = v
	kv.Mod = rev
	kv.Lease = lease
	s.Keys[k] = kv
}

// apply returns the state after the request and the response etcd must give.
func apply(s State, in Input) (State, Output) {
	switch in.Kind {
	case OpGet:
		return s, Output{Rev: s.Rev, KVs: s.kvOut(in.Key)}
	case OpRange:
		var kvs []KVOut
		for k := 0; k < NKeys; k++ {
			kvs = append(kvs, s.kvOut(k)...)
		}
		return s, Output{Rev: s.Rev, KVs: kvs}
	case OpPut:
		if in.Lease != 0 && s.revoked(in.Lease) {
			return s, Output{Err: "lease not found"}
		}
		s.Rev++
		put(&s, in.Key, in.Value, in.Lease, s.Rev)
		return s, Output{Rev: s.Rev}
	case OpDelete:
		if s.Keys[in.Key].Ver == 0 {
			return s, Output{Rev: s.Rev}
		}
		s.Rev++
		s.Keys[in.Key] = KV{}
		return s, Output{Rev: s.Rev, Deleted: 1}
	case OpTxn:
		if s.Keys[in.CmpKey].Mod != in.CmpModRev {
			return s, Output{Rev: s.Rev, KVs: s.kvOut(in.CmpKey)}
		}
		for _, p := range in.Puts {
			if p.Lease != 0 && s.revoked(p.Lease) {
				return s, Output{Err: "lease not found"}
			}
		}
		next := s.Rev + 1
		changed := len(in.Puts) > 0
		for _, p := range in.Puts {
			put(&s, p.Key, p.Value, p.Lease, next)
		}
		for _, k := range in.Dels {
			if s.Keys[k].Ver != 0 {
				s.Keys[k] = KV{}
				changed = true
			}
		}
		if changed {
			s.Rev = next
		}
		return s, Output{Rev: s.Rev, Succeeded: true}
	case OpRevoke:
		if s.revoked(in.Lease) {
			return s, Output{Err: "lease not found"}
		}
		s.Revoked = s.withRevoked(in.Lease)
		changed := false
		for k := 0; k < NKeys; k++ {
			if s.Keys[k].Ver != 0 && s.Keys[k].Lease == in.Lease {
				s.Keys[k] = KV{}
				changed = true
			}
		}
		if changed {
			s.Rev++
		}
		return s, Output{Rev: s.Rev}
	case OpCompact:
		if in.Rev > s.Rev {
			return s, Output{Err: "future"}
		}
		if in.Rev <= s.CompactRev {
			return s, Output{Err: "compacted"}
		}
		s.CompactRev = in.Rev
		return s, Output{Rev: s.Rev}
	}
	panic("unknown op")
}

func outputsMatch(in Input, want, got Output) bool {
	if want.Err != "" || got.Err != "" {
		return want.Err == got.Err
	}
	if want.Rev != got.Rev {
		return false
	}
	switch in.Kind {
	case OpGet, OpRange:
		return kvsEqual(want.KVs, got.KVs)
	case OpDelete:
		return want.Deleted == got.Deleted
	case OpTxn:
		if want.Succeeded != got.Succeeded {
			return false
		}
		return want.Succeeded || kvsEqual(want.KVs, got.KVs)
	}
	return true
}

func kvsEqual(a, b []KVOut) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func step(st interface{}, in, out interface{}) []interface{} {
	s := st.(State)
	i := in.(Input)
	o := out.(Output)
	next, want := apply(s, i)
	if i.Kind == OpRevoke && o.Err == "lease not found" && want.Err == "" {
		// clientv3 retries LeaseRevoke (a repeatable call): an attempt that revoked the lease
		// but whose answer was lost is followed by one that finds no lease. So "not found" is
		// also this request's own revoke.
		return []interface{}{next}
	}
	if o.Unknown {
		if next == s {
			return []interface{}{s}
		}
		return []interface{}{s, next}
	}
	if !outputsMatch(i, want, o) {
		return nil
	}
	return []interface{}{next}
}

func hashState(st interface{}) uint64 {
	s := st.(State)
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d/%s", s.Rev, s.CompactRev, s.Revoked)
	for _, kv := range s.Keys {
		fmt.Fprintf(h, "|%s/%d/%d", kv.Value, kv.Mod, kv.Lease)
	}
	return h.Sum64()
}

func describeOp(in, out interface{}) string {
	i := in.(Input)
	o := out.(Output)
	var req string
	switch i.Kind {
	case OpGet:
		req = fmt.Sprintf("get(k%d)", i.Key)
	case OpRange:
		req = "range(all)"
	case OpPut:
		req = fmt.Sprintf("put(k%d, %s, lease=%x)", i.Key, i.Value, i.Lease)
	case OpDelete:
		req = fmt.Sprintf("delete(k%d)", i.Key)
	case OpTxn:
		var ops []string
		for _, p := range i.Puts {
			ops = append(ops, fmt.Sprintf("put(k%d,%s,lease=%x)", p.Key, p.Value, p.Lease))
		}
		for _, d := range i.Dels {
			ops = append(ops, fmt.Sprintf("del(k%d)", d))
		}
		req = fmt.Sprintf("txn(if mod(k%d)==%d then %s else get(k%d))", i.CmpKey, i.CmpModRev, strings.Join(ops, ","), i.CmpKey)
	case OpRevoke:
		req = fmt.Sprintf("revoke(%x)", i.Lease)
	case OpCompact:
		req = fmt.Sprintf("compact(%d)", i.Rev)
	}
	var resp string
	switch {
	case o.Unknown:
		resp = "unknown"
	case o.Err != "":
		resp = "err " + o.Err
	default:
		resp = fmt.Sprintf("rev=%d", o.Rev)
		if i.Kind == OpTxn {
			resp += fmt.Sprintf(" succeeded=%v", o.Succeeded)
		}
		if i.Kind == OpDelete {
			resp += fmt.Sprintf(" deleted=%d", o.Deleted)
		}
		for _, kv := range o.KVs {
			resp += fmt.Sprintf(" k%d=%s@%d", kv.Key, kv.Value, kv.Mod)
		}
	}
	return req + " -> " + resp
}

func describeState(st interface{}) string {
	s := st.(State)
	var b strings.Builder
	fmt.Fprintf(&b, "rev=%d compact=%d", s.Rev, s.CompactRev)
	for k, kv := range s.Keys {
		if kv.Ver != 0 {
			fmt.Fprintf(&b, " k%d=%s@%d", k, kv.Value, kv.Mod)
		}
	}
	return b.String()
}

func kvModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init:              func() []interface{} { return []interface{}{initState()} },
		Step:              step,
		Equal:             func(a, b interface{}) bool { return a.(State) == b.(State) },
		Hash:              hashState,
		DescribeOperation: describeOp,
		DescribeState:     describeState,
	}
	return nm.ToModel()
}
