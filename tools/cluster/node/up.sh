# Sourced by tools/cluster/up.sh when CLUSTER_NODE=real, after the control plane is ready (its
# helpers: start, wait_for, cert, kubeconfig, ossl, alive; its variables: pki, logs, kubectl).
# Starts two real nodes on this machine, each a kubelet with a containerd of its own (own root,
# state and socket under $CLUSTER_DIR; never Docker's) on the CNI bridge $NODE_BRIDGE: the first
# for everything, the second with the kind tier's GPU taint and label (its GPUs come from
# tests/deviceplugin); the one iptables rule that lets our bridge's traffic through FORWARD
# (node/forward.sh); then kube-proxy in nftables mode (its own tables) and CoreDNS as a
# Deployment on the first. Imports the pause and CoreDNS images built from source.
# node/down.sh undoes all of it.

for b in "$NODE_BIN"/{kubelet,kube-proxy} "$COREDNS_BIN/coredns" "$PAUSE_BIN/pause"; do
  [[ -x "$b" ]] || { echo "cluster: $b missing; run CLUSTER_NODE=real make cluster-build" >&2; exit 1; }
done
for tool in containerd containerd-shim-runc-v2 runc ctr nft ip; do
  command -v "$tool" >/dev/null || { echo "cluster: $tool missing (apt-get install containerd runc containernetworking-plugins nftables iproute2)" >&2; exit 1; }
done
[[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] \
  || { echo "cluster: CNI plugins missing (apt-get install containernetworking-plugins)" >&2; exit 1; }
for port in "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT" "$KUBE_PROXY_HEALTHZ_PORT" "$KUBE_PROXY_METRICS_PORT" \
  "$GPU_KUBELET_PORT" "$GPU_KUBELET_HEALTHZ_PORT"; do
  if ss -Hltn "sport = :$port" | grep -q .; then
    echo "cluster: port $port is taken by another process; set its *_PORT variable" >&2; exit 1
  fi
done
cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
cert kubelet-gpu "/O=system:nodes/CN=system:node:$GPU_NODE_NAME"
cert kube-proxy "/CN=system:kube-proxy"
cert coredns "/CN=infergraph:coredns"
chmod 600 "$pki"/*.key
for u in kubelet kubelet-gpu kube-proxy; do kubeconfig "$u"; done

# start_node ROLE: containerd, then the kubelet, of the node ROLE (cpu or gpu; runtime.sh's roles)
start_node() {
  local role=$1 node name ip port healthz suffix labels=type=real taints='[]'
  if [[ $role == cpu ]]; then
    node="$CLUSTER_DIR/node" name=$NODE_NAME ip=$NODE_IP port=$KUBELET_PORT
    healthz=$KUBELET_HEALTHZ_PORT suffix=""
  else
    node="$CLUSTER_DIR/node-gpu" name=$GPU_NODE_NAME ip=$GPU_NODE_IP port=$GPU_KUBELET_PORT
    healthz=$GPU_KUBELET_HEALTHZ_PORT suffix=@gpu labels+=,infergraph.io/e2e-gpu=true
    taints='[{key: nvidia.com/gpu, value: present, effect: NoSchedule}]'  # kindconfig.GPU_TAINT
  fi
  "$here/node/runtime.sh" "$role"
  local ctr_=(ctr --address "$node/containerd.sock" --namespace k8s.io)
  # The node's containerd, its kubelet (nsenter, below) and their pods share a mount namespace of
  # their own, in which the node's device-plugins directory covers the kubelet's fixed one
  # (pluginapi.KubeletSocket, /var/lib/kubelet/device-plugins/kubelet.sock, which --root-dir does
  # not move): two kubelets on one machine no longer take that socket from each other, and
  # neither empties the machine's directory. Slave propagation: nothing mounted inside (the
  # bind, pod volumes, root filesystems) reaches the machine; the namespace ends with its last
  # process (down.sh stops them all).
  mkdir -p "$node/device-plugins" "$DEVICE_PLUGIN_DIR"
  start "containerd$suffix" unshare --mount --propagation slave -- bash -c \
    'mount --bind "$0" "$1" && exec "${@:2}"' "$node/device-plugins" "$DEVICE_PLUGIN_DIR" \
    containerd --config "$node/containerd.toml"
  ctr_answers() { "${ctr_[@]}" version >/dev/null 2>&1; }
  wait_for "containerd$suffix" ctr_answers
  for image in "$node"/images/*.tar; do "${ctr_[@]}" images import "$image" >>"$logs/containerd-import.log"; done

  printf 'nameserver %s\noptions ndots:5\n' "$CLUSTER_DNS_IP" >"$node/resolv.conf"
  cat >"$node/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $ip
port: $port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$node/containerd.sock
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
clusterDNS: [$CLUSTER_DNS_IP]
clusterDomain: cluster.local
resolvConf: $node/resolv.conf
podLogsDir: $node/pod-logs
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# Absolute floors: on a shared disk 1% (2.5 GB of 252 GB here) tainted the node with disk
# pressure and evicted CoreDNS while the disk held 3 GB free (2026-12-02).
evictionHard: {memory.available: 100Mi, nodefs.available: 256Mi, imagefs.available: 256Mi}
evictionPressureTransitionPeriod: 30s
serializeImagePulls: false
registerWithTaints: $taints
KUBELET
  start "kubelet$suffix" nsenter --mount="/proc/$(cat "$pids/containerd$suffix")/ns/mnt" -- \
    "$NODE_BIN/kubelet" --config="$node/kubelet.yaml" \
    --kubeconfig="$CLUSTER_DIR/kubelet${suffix/@/-}.kubeconfig" --root-dir="$node/kubelet" \
    --cert-dir="$node/kubelet/pki" --hostname-override="$name" --node-ip="$ip" --node-labels="$labels"
  kubelet_health() { curl -sf --max-time 5 "http://127.0.0.1:$1/healthz" -o /dev/null; }
  wait_for "kubelet$suffix" kubelet_health "$healthz"
}
start_node cpu
start_node gpu
"$here/node/forward.sh" accept  # Docker's FORWARD DROP would drop every frame between pods

touch "$CLUSTER_DIR/node/kube-proxy.started"  # down.sh then deletes its nftables tables
start kube-proxy "$NODE_BIN/kube-proxy" --kubeconfig="$CLUSTER_DIR/kube-proxy.kubeconfig" \
  --proxy-mode=nftables --hostname-override="$NODE_NAME" --cluster-cidr="$CLUSTER_POD_CIDR" \
  --nodeport-addresses="$NODE_IP/32" --conntrack-max-per-core=0 \
  --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
  --healthz-bind-address="127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT" \
  --metrics-bind-address="127.0.0.1:$KUBE_PROXY_METRICS_PORT"
proxy_health() { curl -sf --max-time 5 "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz" -o /dev/null; }
wait_for kube-proxy proxy_health

node_ready() { "${kubectl[@]}" wait --for=condition=Ready "node/$1" --timeout=5s >/dev/null 2>&1; }
wait_for kubelet node_ready "$NODE_NAME"
wait_for kubelet@gpu node_ready "$GPU_NODE_NAME"

"${kubectl[@]}" -n kube-system create secret generic coredns-client --from-file=ca.crt="$pki/ca.crt" \
  --from-file=tls.crt="$pki/coredns.crt" --from-file=tls.key="$pki/coredns.key" >/dev/null
"$here/node/coredns-manifest.sh" | "${kubectl[@]}" apply -f - >/dev/null
dns_ready() { "${kubectl[@]}" -n kube-system rollout status deployment/coredns --timeout=5s >/dev/null 2>&1; }
wait_for kubelet dns_ready
