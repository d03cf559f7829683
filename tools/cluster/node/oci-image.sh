#!/usr/bin/env bash
# Writes a one-layer OCI image archive (for `ctr images import`) holding static binaries, with no
# registry and no Docker: the pause and CoreDNS images of the real node are built from source
# (registry.k8s.io cannot be reached here). Deterministic: fixed mtimes, owners and order.
# usage: oci-image.sh NAME:TAG OUT.tar USER ENTRYPOINT-JSON SRC=DEST...
set -euo pipefail
[[ $# -ge 5 ]] || { echo "usage: oci-image.sh NAME:TAG OUT.tar USER ENTRYPOINT-JSON SRC=DEST..." >&2; exit 2; }
ref=$1 out=$2 user=$3 entrypoint=$4; shift 4
work="$(mktemp -d "${out}.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs" "$work/oci/blobs/sha256"
for pair in "$@"; do
  src=${pair%%=*} dest=${pair#*=}
  install -D -m 0755 "$src" "$work/rootfs/${dest#/}"
done
mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
blob() {  # file media-type -> {"mediaType","digest","size"} JSON; the file moves into blobs/
  local sum size
  sum=$(sha256sum "$1" | cut -d' ' -f1) size=$(stat -c %s "$1")
  mv -f "$1" "$work/oci/blobs/sha256/$sum"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$sum" "$size"
}
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
layer=$(blob "$work/layer.tar" application/vnd.oci.image.layer.v1.tar)
printf '{"architecture":"amd64","os":"linux","config":{"User":"%s","Entrypoint":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$user" "$entrypoint" "$diff_id" >"$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
  "$config" "$layer" >"$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
printf '{"schemaVersion":2,"manifests":[%s]}' \
  "${manifest%\}},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$ref\",\"io.containerd.image.name\":\"$ref\"}}" \
  >"$work/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out.tmp" .
mv -f "$out.tmp" "$out"
