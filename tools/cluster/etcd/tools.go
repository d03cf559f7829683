//go:build tools

// Package tools keeps etcd's server in the module graph; build.sh builds its main package
// (go.etcd.io/etcd/server/v3), the etcd binary.
package tools

import _ "go.etcd.io/etcd/server/v3/etcdmain"
