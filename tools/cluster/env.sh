# Shared settings of the local cluster scripts (sourced; tests/cluster/local.py reads them too).
# Every listener is on 127.0.0.1. K8S_VERSION must equal the pin in go.mod (build.sh checks).
: "${GO:=/usr/local/go/bin/go}"
: "${K8S_VERSION:=v1.32.2}"
: "${KWOK_VERSION:=v0.7.0}"
: "${ETCD_VERSION:=v3.5.16}"  # must equal the pin in etcd/go.mod (build.sh checks)
: "${CLUSTER_CACHE:=/var/cache/infergraph/cluster}"
: "${CLUSTER_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/cluster}"
: "${ETCD_PORT:=23790}"
: "${ETCD_PEER_PORT:=23800}"
: "${APISERVER_PORT:=16443}"
: "${CONTROLLER_MANAGER_PORT:=16444}"
: "${SCHEDULER_PORT:=16445}"
# Go's module and build caches live in the cluster cache too (never in the checkout or $HOME), so
# one directory holds everything a cold build fetches and compiles, and CI can cache it.
: "${GOMODCACHE:=$CLUSTER_CACHE/go/mod}"
: "${GOCACHE:=$CLUSTER_CACHE/go/build}"
export GOMODCACHE GOCACHE
K8S_BIN="$CLUSTER_CACHE/$K8S_VERSION/bin"
KWOK_BIN="$CLUSTER_CACHE/kwok-$KWOK_VERSION/bin"
ETCD_BIN="$CLUSTER_CACHE/etcd-$ETCD_VERSION/bin"
KUBECONFIG_ADMIN="$CLUSTER_DIR/kubeconfig"
# Started in this order, stopped in the reverse one.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
