#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy into a cache outside the checkout,
# keyed by version, so a second run only checks the cache. Go builds run at nice 19 with -p 1: the
# machine is shared. Prints the build time and records SHA-256 sums next to the binaries.
set -euo pipefail

# The whole script is one function, parsed before it runs: editing this file during a build is safe.
main() {

  here="$(cd "$(dirname "$0")" && pwd)"
  source "$here/env.sh"
  k8s_bin="$K8S_BIN" kwok_bin="$KWOK_BIN" etcd_bin="$ETCD_BIN"
  k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

  pinned="$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$here/go.mod")"
  if [[ "$pinned" != "$K8S_VERSION" ]]; then
    echo "build.sh: K8S_VERSION=$K8S_VERSION but tools/cluster/go.mod pins k8s.io/kubernetes $pinned" >&2
    exit 2
  fi
  etcd_pinned="$(sed -n 's/^require go.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\)$/\1/p' "$here/etcd/go.mod")"
  if [[ "$etcd_pinned" != "$ETCD_VERSION" ]]; then
    echo "build.sh: ETCD_VERSION=$ETCD_VERSION but tools/cluster/etcd/go.mod pins go.etcd.io/etcd/server/v3 $etcd_pinned" >&2
    exit 2
  fi

  export GOTOOLCHAIN=local GOFLAGS=-trimpath CGO_ENABLED=0
  start=$(date +%s)
  built=0

  missing=()
  for cmd in "${k8s_cmds[@]}"; do [[ -x "$k8s_bin/$cmd" ]] || missing+=("k8s.io/kubernetes/cmd/$cmd"); done
  if ((${#missing[@]})); then
    minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    mkdir -p "$k8s_bin.tmp"
    echo "build.sh: building ${missing[*]##*/} $K8S_VERSION (nice 19, -p 1; first build is long)"
    (cd "$here" && nice -n 19 "$GO" build -p 1 -ldflags "$ldflags" -o "$k8s_bin.tmp/" "${missing[@]}")
    for cmd in "${missing[@]##*/}"; do mv -f "$k8s_bin.tmp/$cmd" "$k8s_bin.tmp/$cmd.new"; done
    mkdir -p "$k8s_bin"
    for cmd in "${missing[@]##*/}"; do mv -f "$k8s_bin.tmp/$cmd.new" "$k8s_bin/$cmd"; done
    rmdir "$k8s_bin.tmp"
    (cd "$k8s_bin" && sha256sum "${k8s_cmds[@]}" > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
    built=1
  fi

  if [[ ! -x "$kwok_bin/kwok" ]]; then
    echo "build.sh: building kwok $KWOK_VERSION (nice 19, -p 1)"
    mkdir -p "$kwok_bin.tmp"
    GOBIN="$kwok_bin.tmp" nice -n 19 "$GO" install -p 1 -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
    mkdir -p "$kwok_bin"
    mv -f "$kwok_bin.tmp/kwok" "$kwok_bin/kwok"
    rmdir "$kwok_bin.tmp"
    (cd "$kwok_bin" && sha256sum kwok > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
    built=1
  fi

  # etcd at the release kubeadm and kind run with this Kubernetes minor (not Debian's 3.4.23: the
  # API server's WatchList, on by default in 1.32, needs etcd's progress notifications, which
  # 3.4.23 lacks; every watch that asks for initial events, kwok's included, is then refused).
  if [[ ! -x "$etcd_bin/etcd" ]]; then
    echo "build.sh: building etcd $ETCD_VERSION (nice 19, -p 1)"
    mkdir -p "$etcd_bin.tmp"
    (cd "$here/etcd" && nice -n 19 "$GO" build -p 1 -ldflags "-s -w" -o "$etcd_bin.tmp/etcd" go.etcd.io/etcd/server/v3)
    mkdir -p "$etcd_bin"
    mv -f "$etcd_bin.tmp/etcd" "$etcd_bin/etcd"
    rmdir "$etcd_bin.tmp"
    (cd "$etcd_bin" && sha256sum etcd > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
    built=1
  fi

  for dir in "$k8s_bin" "$kwok_bin" "$etcd_bin"; do (cd "$dir" && sha256sum --quiet -c SHA256SUMS); done
  if ((built)); then
    echo "build.sh: built in $(($(date +%s) - start)) s; binaries and SHA256SUMS in $k8s_bin, $kwok_bin and $etcd_bin"
  else
    echo "build.sh: cached ($k8s_bin, $kwok_bin, $etcd_bin; checksums verified)"
  fi
}
main "$@"
