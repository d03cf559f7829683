# Sourced by tools/cluster/down.sh before it stops the control plane (its helper: stop). Undoes
# node/up.sh: kube-proxy and the kubelet stop, every container and pod sandbox of our containerd
# is killed and deleted (their shims exit), containerd stops, then what they leave is removed:
# mounts under $CLUSTER_DIR/node, kube-proxy's nftables tables, the bridge node/up.sh created.
node="$CLUSTER_DIR/node"
if [[ -d "$node" ]]; then
  stop kube-proxy
  stop kubelet
  if [[ -S "$node/containerd.sock" ]] && alive_pid containerd; then
    ctr_=(ctr --address "$node/containerd.sock" --namespace k8s.io)
    for task in $("${ctr_[@]}" tasks ls -q 2>/dev/null); do
      "${ctr_[@]}" tasks kill --signal SIGKILL "$task" >/dev/null 2>&1 || true
    done
    for task in $("${ctr_[@]}" tasks ls -q 2>/dev/null); do
      for _ in $(seq 10); do "${ctr_[@]}" tasks delete "$task" >/dev/null 2>&1 && break; sleep 1; done
    done
    for container in $("${ctr_[@]}" containers ls -q 2>/dev/null); do
      "${ctr_[@]}" containers delete "$container" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  # Deepest first: pod volumes (tmpfs), container root filesystems (overlay), network namespaces.
  findmnt -rn -o TARGET | { grep -F "$node/" || true; } | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target"
  done
  if [[ -f "$node/kube-proxy.started" ]]; then
    for family in ip ip6; do
      if nft list table "$family" kube-proxy >/dev/null 2>&1; then nft delete table "$family" kube-proxy; fi
    done
    rm -f "$node/kube-proxy.started"
  fi
  if [[ -f "$node/bridge" ]]; then
    bridge=$(cat "$node/bridge")
    if ip link show "$bridge" >/dev/null 2>&1; then ip link delete "$bridge"; fi
    rm -f "$node/bridge"
  fi
fi
