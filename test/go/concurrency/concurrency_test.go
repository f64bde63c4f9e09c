// Package concurrency runs clientv3's concurrency recipes (Session, Mutex, Election, STM) with
// many contenders against the server(s) in ETCD_ENDPOINTS. Written against real etcd 3.6; runs
// unchanged against etcd-ts.
package concurrency

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"etcd-ts/test/go/internal/etcdtest"
)

func TestMain(m *testing.M) { etcdtest.Main(m) }

var newClient = etcdtest.NewClient

func prefix(t *testing.T) string { return etcdtest.Prefix(t, "concurrency") }

// Many contenders, each with its own session, take the same mutex in turn: never two holders.
func TestMutexManyContenders(t *testing.T) {
	cli := newClient(t)
	p := prefix(t)
	const contenders, rounds = 8, 4
	var inside, maxInside, total int32
	var wg sync.WaitGroup
	errs := make(chan error, contenders)
	for c := 0; c < contenders; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			s, err := concurrency.NewSession(cli, concurrency.WithTTL(10))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close() //nolint:errcheck
			m := concurrency.NewMutex(s, p+"lock")
			for r := 0; r < rounds; r++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := m.Lock(ctx); err != nil {
					cancel()
					errs <- fmt.Errorf("contender %d lock: %w", c, err)
					return
				}
				n := atomic.AddInt32(&inside, 1)
				for {
					old := atomic.LoadInt32(&maxInside)
					if n <= old || atomic.CompareAndSwapInt32(&maxInside, old, n) {
						break
					}
				}
				// The holder's key must be the oldest under the lock prefix.
				resp, err := cli.Get(ctx, p+"lock/", clientv3.WithFirstCreate()...)
				if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Key) != m.Key() {
					errs <- fmt.Errorf("contender %d holds %s but the first waiter is %v (%v)", c, m.Key(), resp, err)
				}
				time.Sleep(5 * time.Millisecond)
				atomic.AddInt32(&inside, -1)
				atomic.AddInt32(&total, 1)
				if err := m.Unlock(ctx); err != nil {
					errs <- fmt.Errorf("contender %d unlock: %w", c, err)
				}
				cancel()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if maxInside != 1 {
		t.Fatalf("%d holders at once", maxInside)
	}
	if total != contenders*rounds {
		t.Fatalf("%d critical sections, want %d", total, contenders*rounds)
	}
}

// Candidates campaign; Observe follows the leader; Proclaim updates its value; Resign hands over.
func TestElectionManyCandidates(t *testing.T) {
	cli := newClient(t)
	p := prefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	obsSession, err := concurrency.NewSession(cli)
	if err != nil {
		t.Fatal(err)
	}
	defer obsSession.Close() //nolint:errcheck
	observed := concurrency.NewElection(obsSession, p+"e").Observe(ctx)

	const candidates = 4
	elections := make([]*concurrency.Election, candidates)
	won := make(chan int, candidates)
	for c := 0; c < candidates; c++ {
		s, err := concurrency.NewSession(cli, concurrency.WithTTL(10))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close() //nolint:errcheck
		elections[c] = concurrency.NewElection(s, p+"e")
		go func(c int) {
			if err := elections[c].Campaign(ctx, "candidate-"+strconv.Itoa(c)); err == nil {
				won <- c
			}
		}(c)
		time.Sleep(50 * time.Millisecond)
	}
	seen := map[int]bool{}
	for round := 0; round < candidates; round++ {
		var leader int
		select {
		case leader = <-won:
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: nobody won", round)
		}
		if seen[leader] {
			t.Fatalf("candidate %d won twice", leader)
		}
		seen[leader] = true
		select {
		case extra := <-won:
			t.Fatalf("candidates %d and %d lead at once", leader, extra)
		case <-time.After(200 * time.Millisecond):
		}
		want := fmt.Sprintf("proclaimed-%d", leader)
		if err := elections[leader].Proclaim(ctx, want); err != nil {
			t.Fatalf("proclaim: %v", err)
		}
		for {
			resp := <-observed
			if len(resp.Kvs) == 1 && string(resp.Kvs[0].Value) == want {
				break
			}
		}
		l, err := elections[leader].Leader(ctx)
		if err != nil || string(l.Kvs[0].Value) != want {
			t.Fatalf("Leader() = %v, %v; want %s", l, err, want)
		}
		if err := elections[leader].Resign(ctx); err != nil {
			t.Fatalf("resign: %v", err)
		}
	}
}

// Concurrent STM transfers between accounts conserve the total.
func TestSTMTransfers(t *testing.T) {
	cli := newClient(t)
	p := prefix(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const accounts, start = 5, 100
	for i := 0; i < accounts; i++ {
		if _, err := cli.Put(ctx, fmt.Sprintf("%sacct%d", p, i), strconv.Itoa(start)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				from, to := (w+i)%accounts, (w+2*i+1)%accounts
				if from == to {
					continue
				}
				_, err := concurrency.NewSTM(cli, func(stm concurrency.STM) error {
					a, _ := strconv.Atoi(stm.Get(fmt.Sprintf("%sacct%d", p, from)))
					b, _ := strconv.Atoi(stm.Get(fmt.Sprintf("%sacct%d", p, to)))
					amt := a / 3
					stm.Put(fmt.Sprintf("%sacct%d", p, from), strconv.Itoa(a-amt))
					stm.Put(fmt.Sprintf("%sacct%d", p, to), strconv.Itoa(b+amt))
					return nil
				}, concurrency.WithAbortContext(ctx))
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	resp, err := cli.Get(ctx, p+"acct", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, kv := range resp.Kvs {
		n, _ := strconv.Atoi(string(kv.Value))
		sum += n
	}
	if sum != accounts*start {
		t.Fatalf("total %d after transfers, want %d", sum, accounts*start)
	}
}
