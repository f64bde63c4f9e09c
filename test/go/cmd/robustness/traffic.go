package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

const keyPrefix = "/rb/"

func keyName(k int) string { return fmt.Sprintf("%sk%d", keyPrefix, k) }

func keyIndex(key string) int {
	var k int
	if _, err := fmt.Sscanf(strings.TrimPrefix(key, keyPrefix), "k%d", &k); err != nil || k < 0 || k >= NKeys {
		return -1
	}
	return k
}

// Record is one request of the history.
type Record struct {
	Client       int
	Member       string
	Input        Input
	Output       Output
	Serializable bool
	Call         int64 // ns since the run's start
	Return       int64 // math.MaxInt64 when the outcome is unknown
	Error        string
}

type History struct {
	mu      sync.Mutex
	records []Record
	start   time.Time
}

func (h *History) now() int64 { return time.Since(h.start).Nanoseconds() }

func (h *History) add(r Record) {
	h.mu.Lock()
	h.records = append(h.records, r)
	h.mu.Unlock()
}

// definiteError maps errors whose outcome is certain (the request was refused at apply time) to
// the model's error names; "" means the outcome is unknown.
func definiteError(err error) string {
	switch {
	case errors.Is(err, rpctypes.ErrCompacted):
		return "compacted"
	case errors.Is(err, rpctypes.ErrFutureRev):
		return "future"
	case errors.Is(err, rpctypes.ErrLeaseNotFound):
		return "lease not found"
	}
	return ""
}

type client struct {
	id      int
	member  string
	cli     *clientv3.Client
	rnd     *rand.Rand
	hist    *History
	timeout time.Duration
	seq     int
	lease   int64
	lastRev int64
	modRevs [NKeys]int64
	resume  *ResumeWatches
	ops     *int64
}

func (c *client) value() string {
	c.seq++
	return fmt.Sprintf("c%d-%d", c.id, c.seq)
}

func kvOuts(kvs []*mvccpb.KeyValue) []KVOut {
	var out []KVOut
	for _, kv := range kvs {
		k := keyIndex(string(kv.Key))
		out = append(out, KVOut{Key: k, Value: string(kv.Value), Mod: kv.ModRevision, Create: kv.CreateRevision, Ver: kv.Version, Lease: kv.Lease})
	}
	return out
}

func (c *client) observe(kvs []KVOut, rev int64) {
	if rev > c.lastRev {
		c.lastRev = rev
	}
	for _, kv := range kvs {
		if kv.Key >= 0 {
			c.modRevs[kv.Key] = kv.Mod
		}
	}
}

// one performs one random request and records it.
func (c *client) one(ctx context.Context) {
	r := c.rnd.Intn(100)
	rec := Record{Client: c.id, Member: c.member}
	cctx, cancel := context.WithTimeout(context.Background(), c.timeout) // in-flight requests finish after stop
	defer cancel()
	var err error
	write := true
	rec.Call = c.hist.now()
	switch {
	case r < 18: // linearizable get
		write = false
		k := c.rnd.Intn(NKeys)
		rec.Input = Input{Kind: OpGet, Key: k}
		var resp *clientv3.GetResponse
		resp, err = c.cli.Get(cctx, keyName(k))
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision, KVs: kvOuts(resp.Kvs)}
		}
	case r < 26: // serializable get
		write = false
		rec.Serializable = true
		k := c.rnd.Intn(NKeys)
		rec.Input = Input{Kind: OpGet, Key: k}
		var resp *clientv3.GetResponse
		resp, err = c.cli.Get(cctx, keyName(k), clientv3.WithSerializable())
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision, KVs: kvOuts(resp.Kvs)}
		}
	case r < 34: // range over the whole keyspace
		write = false
		rec.Input = Input{Kind: OpRange}
		var resp *clientv3.GetResponse
		resp, err = c.cli.Get(cctx, keyPrefix, clientv3.WithPrefix())
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision, KVs: kvOuts(resp.Kvs)}
		}
	case r < 58: // put
		k := c.rnd.Intn(NKeys)
		rec.Input = Input{Kind: OpPut, Key: k, Value: c.value()}
		var resp *clientv3.PutResponse
		resp, err = c.cli.Put(cctx, keyName(k), rec.Input.Value)
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision}
		}
	case r < 66: // put with lease
		if c.lease == 0 {
			g, gerr := c.cli.Grant(cctx, 3600)
			if gerr != nil {
				return
			}
			c.lease = int64(g.ID)
			rec.Call = c.hist.now()
		}
		k := c.rnd.Intn(NKeys)
		rec.Input = Input{Kind: OpPut, Key: k, Value: c.value(), Lease: c.lease}
		var resp *clientv3.PutResponse
		resp, err = c.cli.Put(cctx, keyName(k), rec.Input.Value, clientv3.WithLease(clientv3.LeaseID(c.lease)))
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision}
		}
	case r < 74: // delete
		k := c.rnd.Intn(NKeys)
		rec.Input = Input{Kind: OpDelete, Key: k}
		var resp *clientv3.DeleteResponse
		resp, err = c.cli.Delete(cctx, keyName(k))
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision, Deleted: resp.Deleted}
		}
	case r < 92: // txn: compare-and-set with an extra put and maybe a delete
		k := c.rnd.Intn(NKeys)
		k2 := (k + 1 + c.rnd.Intn(NKeys-1)) % NKeys
		cmpRev := c.modRevs[k]
		if c.rnd.Intn(4) == 0 {
			cmpRev = 0 // "key does not exist"
		}
		in := Input{Kind: OpTxn, CmpKey: k, CmpModRev: cmpRev, Puts: []PutOp{{Key: k, Value: c.value()}}}
		ops := []clientv3.Op{clientv3.OpPut(keyName(k), in.Puts[0].Value)}
		if c.rnd.Intn(2) == 0 {
			in.Dels = []int{k2}
			ops = append(ops, clientv3.OpDelete(keyName(k2)))
		} else if c.rnd.Intn(2) == 0 {
			in.Puts = append(in.Puts, PutOp{Key: k2, Value: c.value()})
			ops = append(ops, clientv3.OpPut(keyName(k2), in.Puts[1].Value))
		}
		rec.Input = in
		var resp *clientv3.TxnResponse
		resp, err = c.cli.Txn(cctx).
			If(clientv3.Compare(clientv3.ModRevision(keyName(k)), "=", cmpRev)).
			Then(ops...).
			Else(clientv3.OpGet(keyName(k))).Commit()
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision, Succeeded: resp.Succeeded}
			if !resp.Succeeded && len(resp.Responses) == 1 {
				rec.Output.KVs = kvOuts(resp.Responses[0].GetResponseRange().Kvs)
			}
		}
	case r < 97: // revoke this client's lease
		if c.lease == 0 {
			return
		}
		rec.Input = Input{Kind: OpRevoke, Lease: c.lease}
		c.lease = 0
		var resp *clientv3.LeaseRevokeResponse
		resp, err = c.cli.Revoke(cctx, clientv3.LeaseID(rec.Input.Lease))
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision}
		}
	case r < 98: // compact a little behind
		if c.lastRev < 60 {
			return
		}
		rec.Input = Input{Kind: OpCompact, Rev: c.lastRev - 50}
		var resp *clientv3.CompactResponse
		resp, err = c.cli.Compact(cctx, rec.Input.Rev)
		if err == nil {
			rec.Output = Output{Rev: resp.Header.Revision}
		}
	default: // open a short watch from a past revision (checked for resumability later)
		if c.lastRev > 3 && c.resume != nil {
			from := c.lastRev - int64(c.rnd.Intn(20))
			if from < 2 {
				from = 2 // WithRev(0) would mean "from now"
			}
			c.resume.run(cctx, c.cli, from, c.member)
		}
		return
	}
	rec.Return = c.hist.now()
	atomic.AddInt64(c.ops, 1)
	if err != nil {
		rec.Error = err.Error()
		if d := definiteError(err); d != "" {
			rec.Output = Output{Err: d}
		} else {
			if !write {
				return // a failed read has no effect: not part of the history
			}
			rec.Output = Output{Unknown: true}
			rec.Return = math.MaxInt64
		}
	} else {
		c.observe(rec.Output.KVs, rec.Output.Rev)
		if rec.Input.Kind == OpPut {
			c.modRevs[rec.Input.Key] = rec.Output.Rev
		}
	}
	c.hist.add(rec)
	if err != nil {
		time.Sleep(20 * time.Millisecond)
	}
}
