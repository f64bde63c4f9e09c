package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func getenv(k string) string { return os.Getenv(k) }

// TestResumeAfterRestart needs an orchestrator: after this test prints "WATCH-RESTART-NOW" it
// restarts the server (same data dir and port), writes keys <prefix>k = "during-0".."during-4"
// with etcdctl, and then creates <WATCH_RESTART_DIR>/restarted containing the prefix it wrote
// to (the test prints it as "WATCH-PREFIX <p>"). The watcher must see every revision exactly
// once, in order, across the restart.
func TestResumeAfterRestart(t *testing.T) {
	dir := getenv("WATCH_RESTART_DIR")
	if dir == "" {
		t.Skip("WATCH_RESTART_DIR not set")
	}
	cli, p := newClient(t), prefix(t)
	ctx := ctxT(t, 90*time.Second)
	wch := cli.Watch(ctx, p, clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	next(t, wch, wait)
	var want []string
	for i := 0; i < 5; i++ {
		r := put(t, cli, p+"k", fmt.Sprintf("before-%d", i))
		want = append(want, fmt.Sprintf("PUT k@%d=before-%d", r, i))
	}
	got := evs(collect(t, wch, 5, wait), p)
	eqStrings(t, "before restart", got, want)

	fmt.Printf("WATCH-PREFIX %s\n", p)
	fmt.Printf("WATCH-RESTART-NOW\n")
	_ = os.Stdout.Sync()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "restarted")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("orchestrator did not restart the server")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; i < 5; i++ {
		put(t, cli, p+"k", fmt.Sprintf("after-%d", i))
	}
	rest := collect(t, wch, 10, 30*time.Second)
	var vals []string
	last := int64(0)
	for _, e := range rest {
		if e.Kv.ModRevision <= last {
			t.Errorf("revision %d not after %d", e.Kv.ModRevision, last)
		}
		last = e.Kv.ModRevision
		vals = append(vals, string(e.Kv.Value))
	}
	eqStrings(t, "across restart", vals, []string{
		"during-0", "during-1", "during-2", "during-3", "during-4",
		"after-0", "after-1", "after-2", "after-3", "after-4",
	})
	nothing(t, wch, 300*time.Millisecond)
}
