//go:build tools

// Package tools pins the main packages that test/tools/install.sh builds
// (etcdctl, etcdutl and the etcd server), so that `go mod tidy` keeps them in go.mod/go.sum.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
