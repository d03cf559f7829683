#!/usr/bin/env bash
# Prepares the real node's container runtime in $CLUSTER_DIR/node (node/up.sh runs it, then starts
# containerd; the tests run it alone): a fresh directory, the bridge $NODE_BRIDGE with NODE_IP
# (the machine-wide claim of a real node), the CNI configuration, containerd's configuration and
# the pause and CoreDNS image archives, built from the cached binaries (no registry here).
# `runtime.sh gpu` prepares the GPU node's in $CLUSTER_DIR/node-gpu: GPU_NODE_IP joins the bridge
# the first node created, and its pods get addresses of GPU_NODE_POD_CIDR.
# usage: runtime.sh [cpu|gpu]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
role=${1:-cpu}
case $role in
  cpu) node="$CLUSTER_DIR/node" pod_cidr=$NODE_POD_CIDR node_ip=$NODE_IP ;;
  gpu) node="$CLUSTER_DIR/node-gpu" pod_cidr=$GPU_NODE_POD_CIDR node_ip=$GPU_NODE_IP ;;
  *) echo "usage: runtime.sh [cpu|gpu]" >&2; exit 2 ;;
esac
if findmnt -rn -o TARGET | grep -qF "$node/"; then
  echo "cluster: something is still mounted under $node; run make cluster-down first" >&2; exit 1
fi
rm -rf "$node"
mkdir -p "$node"/{containerd/root,containerd/state,containerd/opt,cni/net.d,cni/ipam,kubelet,pod-logs,images}

# The bridge is ours (created here, deleted by down.sh) and carries the node's address, so the
# kubelet, CoreDNS (host network) and the pods' gateway share NODE_IP before the first pod.
# One real node per machine (the bridge, the nftables tables and the pod addresses are global):
# creating the bridge is the claim, and fails while another checkout's node has it.
prefix="${pod_cidr#*/}"
if [[ $role == cpu ]]; then
  if ! ip link add "$NODE_BRIDGE" type bridge; then
    echo "cluster: cannot create bridge $NODE_BRIDGE (another real node's? set NODE_BRIDGE)" >&2; exit 1
  fi
  echo "$NODE_BRIDGE" >"$node/bridge"
elif [[ ! -f "$CLUSTER_DIR/node/bridge" ]]; then
  echo "cluster: the GPU node joins the first node's bridge: run runtime.sh cpu first" >&2; exit 1
fi
ip addr add "$node_ip/$prefix" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up

cat >"$node/cni/net.d/10-infergraph.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "infergraph",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": false, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$node/cni/ipam",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
CNI

cat >"$node/containerd.toml" <<TOML
version = 2
root = "$node/containerd/root"
state = "$node/containerd/state"
[grpc]
  address = "$node/containerd.sock"
[ttrpc]
  address = "$node/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$node/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:$PAUSE_VERSION"
  # No CAP_SYS_RESOURCE here (and in many CI containers): runc cannot lower a sandbox's
  # oom_score_adj to the kubelet's -998 ("can't get final child's PID from pipe: EOF"), so
  # containerd raises it to its own instead.
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$node/cni/net.d"
TOML

# pause and CoreDNS: one-layer images of the binaries built from source (no registry here).
"$here/node/oci-image.sh" "registry.k8s.io/pause:$PAUSE_VERSION" "$node/images/pause.tar" 65535:65535 \
  '["/pause"]' "$PAUSE_BIN/pause=/pause"
if [[ $role == cpu ]]; then  # CoreDNS runs on the first node only
  "$here/node/oci-image.sh" "registry.k8s.io/coredns/coredns:$COREDNS_VERSION" "$node/images/coredns.tar" \
    65532:65532 '["/coredns"]' "$COREDNS_BIN/coredns=/coredns"
fi
