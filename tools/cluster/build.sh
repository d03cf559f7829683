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
    echo "build.sh: building ${missing[*]##*/} $K8S_VERSION (nice 19, -p 1; first build is long)"
    go_install "$k8s_bin" 19 "$here" "${missing[*]##*/}" build -p 1 -ldflags "$(version_ldflags)" "${missing[@]}"
  fi

  if [[ ! -x "$kwok_bin/kwok" ]]; then
    echo "build.sh: building kwok $KWOK_VERSION (nice 19, -p 1)"
    go_install "$kwok_bin" 19 "$here" kwok install -p 1 -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  fi

  # etcd at the release kubeadm and kind run with this Kubernetes minor (not Debian's 3.4.23: the
  # API server's WatchList, on by default in 1.32, needs etcd's progress notifications, which
  # 3.4.23 lacks; every watch that asks for initial events, kwok's included, is then refused).
  if [[ ! -x "$etcd_bin/etcd" ]]; then
    echo "build.sh: building etcd $ETCD_VERSION (nice 19, -p 1)"
    go_install "$etcd_bin" 19 "$here/etcd" etcd build -p 1 -ldflags "-s -w" go.etcd.io/etcd/server/v3
  fi

  dirs=("$k8s_bin" "$kwok_bin" "$etcd_bin")
  if [[ $CLUSTER_NODE == real ]]; then
    build_node
    dirs+=("$node_bin" "$COREDNS_BIN" "$PAUSE_BIN")
  fi
  for dir in "${dirs[@]}"; do (cd "$dir" && sha256sum --quiet -c SHA256SUMS); done
  if ((built)); then
    echo "build.sh: built in $(($(date +%s) - start)) s; binaries and SHA256SUMS in ${dirs[*]}"
  else
    echo "build.sh: cached (${dirs[*]}; checksums verified)"
  fi
}
# The real node's binaries (CLUSTER_NODE=real): kubelet and kube-proxy from the pinned module into
# their own directory of the version's cache (the control plane's SHA256SUMS stay as they are),
# CoreDNS from its module at the release kubeadm deploys, and pause from the C source the
# Kubernetes module carries (build/pause), static, as upstream builds it.
build_node() {
  node_bin="$NODE_BIN"
  local missing=() cmd
  for cmd in kubelet kube-proxy; do [[ -x "$node_bin/$cmd" ]] || missing+=("k8s.io/kubernetes/cmd/$cmd"); done
  if ((${#missing[@]})); then
    echo "build.sh: building ${missing[*]##*/} $K8S_VERSION (nice 10, -p 1; a cold Go build cache takes long)"
    go_install "$node_bin" 10 "$here" "${missing[*]##*/}" build -p 1 -ldflags "$(version_ldflags)" "${missing[@]}"
  fi
  if [[ ! -x "$COREDNS_BIN/coredns" ]]; then
    echo "build.sh: building coredns $COREDNS_VERSION (nice 10, -p 1)"
    go_install "$COREDNS_BIN" 10 "$here" coredns install -p 1 -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  fi
  if [[ ! -x "$PAUSE_BIN/pause" ]]; then
    local src="$GOMODCACHE/k8s.io/kubernetes@$K8S_VERSION/build/pause/linux/pause.c"
    [[ -f "$src" ]] || (cd "$here" && "$GO" mod download k8s.io/kubernetes)
    echo "build.sh: building pause $PAUSE_VERSION (gcc -static)"
    mkdir -p "$PAUSE_BIN"
    gcc -Os -Wall -Werror -static "-DVERSION=v$PAUSE_VERSION-infergraph" -o "$PAUSE_BIN/pause.tmp" "$src"
    mv -f "$PAUSE_BIN/pause.tmp" "$PAUSE_BIN/pause"
    (cd "$PAUSE_BIN" && sha256sum pause > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
    built=1
  fi
}

# go_install DIR NICE WORKDIR "NAMES" build|install GO-ARGS...: one install into the cache. Runs
# `go build` (-o named by NAMES) or `go install` (GOBIN) in WORKDIR at nice NICE into DIR.tmp, moves
# NAMES into DIR, records DIR/SHA256SUMS of every binary in DIR (a version's cache holds nothing
# else) and sets built=1.
go_install() {
  local dir="$1" level="$2" workdir="$3" verb="$5" out name names binaries=()
  read -ra names <<< "$4"
  shift 5
  mkdir -p "$dir.tmp"
  out="$dir.tmp/"
  if ((${#names[@]} == 1)); then out+="${names[0]}"; fi
  if [[ $verb == build ]]; then set -- build -o "$out" "$@"; else set -- "$verb" "$@"; fi
  (cd "$workdir" && GOBIN="$dir.tmp" nice -n "$level" "$GO" "$@")
  mkdir -p "$dir"
  for name in "${names[@]}"; do mv -f "$dir.tmp/$name" "$dir/$name"; done
  rmdir "$dir.tmp"
  for name in "$dir"/*; do [[ $name == */SHA256SUMS* ]] || binaries+=("${name##*/}"); done
  (cd "$dir" && sha256sum "${binaries[@]}" > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
  built=1
}

# -ldflags stamping the release into the binaries' version packages, as Kubernetes' build does.
version_ldflags() {
  local minor="${K8S_VERSION#v1.}" ldflags="-s -w" pkg
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$ldflags"
}
# Sourced (the tests call go_install alone), it only defines the functions. (An `if`, not `||`:
# set -e does not apply inside a function called on the left of || or &&.)
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then main "$@"; fi
