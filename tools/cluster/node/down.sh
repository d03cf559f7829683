# Sourced by tools/cluster/down.sh before it stops the control plane (its helper: stop). Undoes
# node/up.sh: kube-proxy stops; for each node (the GPU node first) the kubelet stops, every
# container and pod sandbox of its containerd is killed and deleted (their shims exit), its
# containerd stops, and the mounts under its directory are removed; then kube-proxy's nftables
# tables, the FORWARD rule (node/forward.sh) and the bridge node/up.sh created go.
node="$CLUSTER_DIR/node"
if [[ -d "$node" ]]; then
  stop kube-proxy
  for dir_suffix in "$CLUSTER_DIR/node-gpu:@gpu" "$node:"; do
    dir=${dir_suffix%:*} suffix=${dir_suffix##*:}
    stop "kubelet$suffix"
    if [[ -S "$dir/containerd.sock" ]] && alive_pid "containerd$suffix"; then
      ctr_=(ctr --address "$dir/containerd.sock" --namespace k8s.io)
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
    stop "containerd$suffix"
    # Deepest first: pod volumes (tmpfs), container root filesystems (overlay), network namespaces.
    findmnt -rn -o TARGET | { grep -F "$dir/" || true; } | sort -r | while read -r target; do
      umount "$target" 2>/dev/null || umount -l "$target"
    done
  done
  if [[ -f "$node/kube-proxy.started" ]]; then
    for family in ip ip6; do
      if nft list table "$family" kube-proxy >/dev/null 2>&1; then nft delete table "$family" kube-proxy; fi
    done
    rm -f "$node/kube-proxy.started"
  fi
  "$here/node/forward.sh" remove
  if [[ -f "$node/bridge" ]]; then
    bridge=$(cat "$node/bridge")
    if ip link show "$bridge" >/dev/null 2>&1; then ip link delete "$bridge"; fi
    rm -f "$node/bridge"
  fi
fi
