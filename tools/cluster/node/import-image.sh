#!/usr/bin/env bash
# Copies images from the Docker Engine (`make image`) into the real nodes' containerd (both the
# first node's and the GPU node's), where the kubelets find them (namespace k8s.io; no registry
# here, so pods use IfNotPresent or Never).
# usage: import-image.sh IMAGE...   (make cluster-node-image runs it in a Docker session)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
[[ $# -ge 1 ]] || { echo "usage: import-image.sh IMAGE..." >&2; exit 2; }
socks=()
for dir in "$CLUSTER_DIR/node" "$CLUSTER_DIR/node-gpu"; do
  [[ -S "$dir/containerd.sock" ]] && socks+=("$dir/containerd.sock")
done
((${#socks[@]})) || { echo "cluster: no real node's containerd under $CLUSTER_DIR (CLUSTER_NODE=real make cluster)" >&2; exit 1; }
for image in "$@"; do
  docker image inspect "$image" >/dev/null || { echo "cluster: $image is not in Docker (make image)" >&2; exit 1; }
done
# Streamed, no archive on disk, and the layers stored gzipped: a node then holds the image once
# unpacked (0.48 GB for ours) and once compressed, where an archive and uncompressed blobs would
# double that; this machine's disk had 1-3 GB free, and the first import filled it (2026-12-02).
for sock in "${socks[@]}"; do
  docker save "$@" | ctr --address "$sock" --namespace k8s.io images import --compress-blobs -
done
