// gogodecode: decodes request messages the way etcd's gRPC server does (the gogo-generated
// Unmarshal of etcdserverpb's types), for the differential decoder test
// (test/proto/gogo-decode.test.ts).
//
// stdin: one request per line, "<message type> <hex payload>" (e.g. "RangeRequest 0a016b", "v3lockpb.LockRequest 0a016e").
// stdout: one line each, "ok <hex of the message re-encoded by its Marshal>", "err <error>" (Go
// refuses it), or "skip <error>" (decoded, but its re-encoding does not decode again).
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	electionpb "go.etcd.io/etcd/server/v3/etcdserver/api/v3election/v3electionpb"
	lockpb "go.etcd.io/etcd/server/v3/etcdserver/api/v3lock/v3lockpb"
)

type message interface {
	Unmarshal([]byte) error
	Marshal() ([]byte, error)
}

var types = map[string]func() message{
	"RangeRequest":                    func() message { return &pb.RangeRequest{} },
	"PutRequest":                      func() message { return &pb.PutRequest{} },
	"DeleteRangeRequest":              func() message { return &pb.DeleteRangeRequest{} },
	"TxnRequest":                      func() message { return &pb.TxnRequest{} },
	"CompactionRequest":               func() message { return &pb.CompactionRequest{} },
	"LeaseGrantRequest":               func() message { return &pb.LeaseGrantRequest{} },
	"LeaseRevokeRequest":              func() message { return &pb.LeaseRevokeRequest{} },
	"LeaseKeepAliveRequest":           func() message { return &pb.LeaseKeepAliveRequest{} },
	"LeaseTimeToLiveRequest":          func() message { return &pb.LeaseTimeToLiveRequest{} },
	"WatchRequest":                    func() message { return &pb.WatchRequest{} },
	"AlarmRequest":                    func() message { return &pb.AlarmRequest{} },
	"HashKVRequest":                   func() message { return &pb.HashKVRequest{} },
	"MoveLeaderRequest":               func() message { return &pb.MoveLeaderRequest{} },
	"MemberAddRequest":                func() message { return &pb.MemberAddRequest{} },
	"MemberListRequest":               func() message { return &pb.MemberListRequest{} },
	"AuthUserAddRequest":              func() message { return &pb.AuthUserAddRequest{} },
	"AuthRoleGrantPermissionRequest":  func() message { return &pb.AuthRoleGrantPermissionRequest{} },
	"MemberRemoveRequest":             func() message { return &pb.MemberRemoveRequest{} },
	"MemberUpdateRequest":             func() message { return &pb.MemberUpdateRequest{} },
	"MemberPromoteRequest":            func() message { return &pb.MemberPromoteRequest{} },
	"LeaseLeasesRequest":              func() message { return &pb.LeaseLeasesRequest{} },
	"StatusRequest":                   func() message { return &pb.StatusRequest{} },
	"DefragmentRequest":               func() message { return &pb.DefragmentRequest{} },
	"HashRequest":                     func() message { return &pb.HashRequest{} },
	"SnapshotRequest":                 func() message { return &pb.SnapshotRequest{} },
	"DowngradeRequest":                func() message { return &pb.DowngradeRequest{} },
	"AuthenticateRequest":             func() message { return &pb.AuthenticateRequest{} },
	"AuthUserGetRequest":              func() message { return &pb.AuthUserGetRequest{} },
	"AuthUserDeleteRequest":           func() message { return &pb.AuthUserDeleteRequest{} },
	"AuthUserChangePasswordRequest":   func() message { return &pb.AuthUserChangePasswordRequest{} },
	"AuthUserGrantRoleRequest":        func() message { return &pb.AuthUserGrantRoleRequest{} },
	"AuthUserRevokeRoleRequest":       func() message { return &pb.AuthUserRevokeRoleRequest{} },
	"AuthRoleAddRequest":              func() message { return &pb.AuthRoleAddRequest{} },
	"AuthRoleGetRequest":              func() message { return &pb.AuthRoleGetRequest{} },
	"AuthRoleDeleteRequest":           func() message { return &pb.AuthRoleDeleteRequest{} },
	"AuthRoleRevokePermissionRequest": func() message { return &pb.AuthRoleRevokePermissionRequest{} },
	"AuthEnableRequest":               func() message { return &pb.AuthEnableRequest{} },
	"AuthDisableRequest":              func() message { return &pb.AuthDisableRequest{} },
	"AuthStatusRequest":               func() message { return &pb.AuthStatusRequest{} },
	"AuthUserListRequest":             func() message { return &pb.AuthUserListRequest{} },
	"AuthRoleListRequest":             func() message { return &pb.AuthRoleListRequest{} },
	"v3lockpb.LockRequest":            func() message { return &lockpb.LockRequest{} },
	"v3lockpb.UnlockRequest":          func() message { return &lockpb.UnlockRequest{} },
	"v3electionpb.CampaignRequest":    func() message { return &electionpb.CampaignRequest{} },
	"v3electionpb.ProclaimRequest":    func() message { return &electionpb.ProclaimRequest{} },
	"v3electionpb.LeaderRequest":      func() message { return &electionpb.LeaderRequest{} },
	"v3electionpb.ResignRequest":      func() message { return &electionpb.ResignRequest{} },
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<24)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		name, payload, ok := strings.Cut(in.Text(), " ")
		mk := types[name]
		if !ok || mk == nil {
			fmt.Fprintf(os.Stderr, "gogodecode: bad line %q\n", in.Text())
			os.Exit(2)
		}
		b, err := hex.DecodeString(payload)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gogodecode: bad hex: %v\n", err)
			os.Exit(2)
		}
		m := mk()
		if err := m.Unmarshal(b); err != nil {
			fmt.Fprintf(out, "err %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		re, err := m.Marshal()
		if err == nil {
			// gogo's Marshal sizes some negative enum values wrong and leaves zero bytes in
			// front: such a re-encoding cannot stand for the message.
			err = mk().Unmarshal(re)
		}
		if err != nil {
			fmt.Fprintf(out, "skip %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintf(out, "ok %s\n", hex.EncodeToString(re))
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "gogodecode: %v\n", err)
		os.Exit(2)
	}
}
