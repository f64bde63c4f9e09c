// Package authclient runs clientv3 with Username/Password against a cluster with auth enabled
// (users root:rootpw with the root role, app:apppw with READWRITE on /app/; set up by the
// caller), endpoints in ETCD_ENDPOINTS, the simple-token TTL in seconds in AUTH_TOKEN_TTL:
//   - a client keeps working across a token expiry (it authenticates again) and a leader change;
//   - a deleted user's token stops working on every member.
// Written against etcd 3.6's behaviour; runs unchanged against etcd-ts.
package authclient

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/metadata"
)

var endpoints []string
var ttl time.Duration

func TestMain(m *testing.M) {
	endpoints = strings.Split(strings.TrimSpace(os.Getenv("ETCD_ENDPOINTS")), ",")
	s, err := strconv.Atoi(os.Getenv("AUTH_TOKEN_TTL"))
	if endpoints[0] == "" || err != nil {
		fmt.Fprintln(os.Stderr, "ETCD_ENDPOINTS and AUTH_TOKEN_TTL must be set")
		os.Exit(2)
	}
	ttl = time.Duration(s) * time.Second
	os.Exit(m.Run())
}

func client(t *testing.T, eps []string, user, password string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 5 * time.Second, Username: user, Password: password, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("clientv3.New(%v, %q): %v", eps, user, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// put retries while the cluster has no leader (a leader change in progress), up to 15 s.
func put(t *testing.T, cli *clientv3.Client, key, value string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cli.Put(ctx, key, value)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || strings.Contains(err.Error(), "permission denied") || strings.Contains(err.Error(), "invalid auth token") {
			t.Fatalf("put %s: %v", key, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// leader returns the leader's member id and the index of its endpoint.
func leader(t *testing.T, root *clientv3.Client) (uint64, int) {
	t.Helper()
	for i, ep := range endpoints {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		st, err := root.Status(ctx, ep)
		cancel()
		if err == nil && st.Leader != 0 && st.Leader == st.Header.MemberId {
			return st.Leader, i
		}
	}
	t.Fatalf("no leader found")
	return 0, -1
}

func TestReauthAcrossTokenExpiryAndLeaderChange(t *testing.T) {
	app := client(t, endpoints, "app", "apppw")
	root := client(t, endpoints, "root", "rootpw")
	put(t, app, "/app/1", "a")
	time.Sleep(ttl + 2*time.Second) // the token expires on every member
	put(t, app, "/app/2", "b")

	id, li := leader(t, root)
	var target uint64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	ml, err := root.MemberList(ctx)
	cancel()
	if err != nil {
		t.Fatalf("member list: %v", err)
	}
	for _, m := range ml.Members {
		if m.ID != id {
			target = m.ID
			break
		}
	}
	onLeader := client(t, []string{endpoints[li]}, "root", "rootpw")
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	_, err = onLeader.MoveLeader(ctx, target)
	cancel()
	if err != nil {
		t.Fatalf("move leader %x -> %x: %v", id, target, err)
	}
	if now, _ := leader(t, root); now != target {
		t.Fatalf("leader is %x, want %x", now, target)
	}
	put(t, app, "/app/3", "c")
	time.Sleep(ttl + 2*time.Second)
	put(t, app, "/app/4", "d")
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := app.Get(ctx, "/app/", clientv3.WithPrefix())
	if err != nil || resp.Count != 4 {
		t.Fatalf("get /app/: %v %v", resp, err)
	}
	// A key outside app's permission stays refused after the re-authentications.
	if _, err := app.Put(ctx, "/other", "x"); err != rpctypes.ErrPermissionDenied {
		t.Fatalf("put /other: %v, want permission denied", err)
	}
}

func TestDeletedUserTokenStopsEverywhere(t *testing.T) {
	root := client(t, endpoints, "root", "rootpw")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := root.UserAdd(ctx, "tmp", "tmppw"); err != nil {
		t.Fatalf("user add: %v", err)
	}
	if _, err := root.UserGrantRole(ctx, "tmp", "app"); err != nil {
		t.Fatalf("grant: %v", err)
	}
	anon := client(t, endpoints[:1], "", "")
	auth, err := anon.Authenticate(ctx, "tmp", "tmppw")
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	withToken := metadata.AppendToOutgoingContext(ctx, rpctypes.TokenFieldNameGRPC, auth.Token)
	for _, ep := range endpoints {
		c := client(t, []string{ep}, "", "")
		if _, err := c.Get(withToken, "/app/1"); err != nil {
			t.Fatalf("get with tmp's token on %s: %v", ep, err)
		}
	}
	if _, err := root.UserDelete(ctx, "tmp"); err != nil {
		t.Fatalf("user delete: %v", err)
	}
	for _, ep := range endpoints {
		c := client(t, []string{ep}, "", "")
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := c.Get(withToken, "/app/1")
			if err == rpctypes.ErrInvalidAuthToken {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("get with a deleted user's token on %s: %v, want %v", ep, err, rpctypes.ErrInvalidAuthToken)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
