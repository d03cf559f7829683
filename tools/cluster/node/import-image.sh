#!/usr/bin/env bash
# Copies images from the Docker Engine (`make image`) into the real node's containerd, where the
# kubelet finds them (namespace k8s.io; no registry here, so pods use IfNotPresent or Never).
# usage: import-image.sh IMAGE...   (make cluster-node-image runs it in a Docker session)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
source "$here/env.sh"
[[ $# -ge 1 ]] || { echo "usage: import-image.sh IMAGE..." >&2; exit 2; }
sock="$CLUSTER_DIR/node/containerd.sock"
[[ -S "$sock" ]] || { echo "cluster: no real node's containerd at $sock (CLUSTER_NODE=real make cluster)" >&2; exit 1; }
archive="$(mktemp "$CLUSTER_DIR/node/images/import.XXXXXX")"
trap 'rm -f "$archive"' EXIT
for image in "$@"; do
  docker image inspect "$image" >/dev/null || { echo "cluster: $image is not in Docker (make image)" >&2; exit 1; }
done
docker save -o "$archive" "$@"
ctr --address "$sock" --namespace k8s.io images import "$archive"
