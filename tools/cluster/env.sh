# Shared settings of the local cluster scripts (sourced; tests/cluster/local.py reads them too).
# Every listener is on 127.0.0.1. K8S_VERSION must equal the pin in go.mod (build.sh checks).
: "${GO:=/usr/local/go/bin/go}"
: "${K8S_VERSION:=v1.32.2}"
: "${KWOK_VERSION:=v0.7.0}"
: "${ETCD_VERSION:=v3.5.16}"  # must equal the pin in etcd/go.mod (build.sh checks)
: "${CLUSTER_CACHE:=/var/cache/infergraph/cluster}"
# istioctl and Istio's base chart come from the istio.io/istio module. Its release tags (1.26.2,
# the kind tier's ISTIO_VERSION) are not semantic versions, so the module proxy refuses them, and
# the proxy this project reaches serves three pseudo-versions of it. This one is master on
# 2026-08-27 (it requires istio.io/api v1.31.0-rc.0): the newest one whose whole dependency graph
# the proxy serves (release-1.30's head of 2026-08-26 needs an istio.io/api it refuses).
: "${ISTIO_MODULE_VERSION:=v0.0.0-20260827124520-eed52ebb66ad}"
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
ISTIO_BIN="$CLUSTER_CACHE/istio-$ISTIO_MODULE_VERSION/bin"
KUBECONFIG_ADMIN="$CLUSTER_DIR/kubeconfig"
# Started in this order, stopped in the reverse one.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# The real node (CLUSTER_NODE=real; default kwok only): kubelet and kube-proxy built from the same
# pinned module, Debian's containerd, runc and CNI plugins, CoreDNS and pause built from source.
# It is one per machine (a bridge, nftables tables, pod addresses): the bridge is the claim.
: "${CLUSTER_NODE:=kwok}"
: "${COREDNS_VERSION:=v1.11.3}"  # kubeadm's CoreDNS for this Kubernetes minor
: "${PAUSE_VERSION:=3.10}"       # kubeadm's pause for this minor, built from the module's build/pause
: "${NODE_NAME:=infergraph-node}"
: "${NODE_BRIDGE:=igbr0}"         # created and deleted by node/up.sh and node/down.sh
: "${NODE_POD_CIDR:=10.245.0.0/24}"  # not kwok's 10.244.0.0/24
: "${NODE_IP:=10.245.0.1}"           # the bridge's address: the node's InternalIP and the pods' gateway
: "${CLUSTER_DNS_IP:=10.96.0.10}"
: "${KUBELET_PORT:=16450}"
: "${KUBELET_HEALTHZ_PORT:=16451}"
: "${KUBE_PROXY_HEALTHZ_PORT:=16452}"
: "${KUBE_PROXY_METRICS_PORT:=16453}"
: "${COREDNS_PORT:=16456}"  # on NODE_IP (CoreDNS runs on the host network; kube-dns:53 maps to it)
: "${COREDNS_HEALTH_PORT:=16454}"
: "${COREDNS_READY_PORT:=16455}"
: "${NODE_BIN:=$CLUSTER_CACHE/$K8S_VERSION/node-bin}"  # kubelet, kube-proxy
: "${COREDNS_BIN:=$CLUSTER_CACHE/coredns-$COREDNS_VERSION/bin}"
: "${PAUSE_BIN:=$CLUSTER_CACHE/pause-$PAUSE_VERSION/bin}"
# The real GPU node: a second kubelet with a containerd of its own (a kubelet kills the pods of a
# runtime it shares), on the same bridge with its own address and pod range, registered with the
# taint and label of the kind tier's GPU worker; tests/deviceplugin advertises its nvidia.com/gpu
# through the kubelet's device-plugin API while the cluster tier runs. Its processes are named
# <binary>@gpu (down.sh checks the binary before it stops one).
: "${GPU_NODE_NAME:=infergraph-gpu}"
: "${GPU_NODE_POD_CIDR:=10.245.1.0/24}"
: "${GPU_NODE_IP:=10.245.1.1}"
: "${CLUSTER_POD_CIDR:=10.245.0.0/16}"  # both nodes' pod ranges (kube-proxy's --cluster-cidr)
: "${GPU_KUBELET_PORT:=16457}"
: "${GPU_KUBELET_HEALTHZ_PORT:=16458}"
# The kubelet's device-plugin directory, fixed in its source (k8s.io/kubelet deviceplugin
# v1beta1 constants.go); each real node binds its own <node>/device-plugins over it in a mount
# namespace of its own (node/up.sh), where our plugin finds the node's kubelet.sock.
DEVICE_PLUGIN_DIR=/var/lib/kubelet/device-plugins
if [[ $CLUSTER_NODE == real ]]; then
  COMPONENTS+=(containerd kubelet kube-proxy containerd@gpu kubelet@gpu)
fi
