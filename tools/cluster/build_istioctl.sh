#!/usr/bin/env bash
# Builds istioctl from the istio.io/istio module (ISTIO_MODULE_VERSION in env.sh) on the Go module
# proxy into a cache outside the checkout, keyed by version, so a second run only checks the
# cache. Like build.sh: nice 19 with -p 1 (the machine is shared), the build time printed and the
# SHA-256 sum recorded next to the binary. The same module holds Istio's base chart
# (manifests/charts/base), which the cluster tier installs from the module cache.
set -euo pipefail

# The whole script is one function, parsed before it runs: editing this file during a build is safe.
main() {

  here="$(cd "$(dirname "$0")" && pwd)"
  source "$here/env.sh"
  istio_bin="$ISTIO_BIN"
  export GOTOOLCHAIN=local GOFLAGS=-trimpath CGO_ENABLED=0

  if [[ -x "$istio_bin/istioctl" ]]; then
    (cd "$istio_bin" && sha256sum --quiet -c SHA256SUMS)
    echo "build_istioctl.sh: cached ($istio_bin; checksum verified)"
    return
  fi

  start=$(date +%s)
  revision="${ISTIO_MODULE_VERSION##*-}"
  pkg=istio.io/istio/pkg/version
  ldflags="-s -w -X $pkg.buildVersion=$ISTIO_MODULE_VERSION -X $pkg.buildGitRevision=$revision"
  ldflags+=" -X $pkg.buildStatus=Clean -X $pkg.buildTag=$ISTIO_MODULE_VERSION"
  echo "build_istioctl.sh: building istioctl $ISTIO_MODULE_VERSION (nice 19, -p 1; first build is long)"
  mkdir -p "$istio_bin.tmp"
  GOBIN="$istio_bin.tmp" nice -n 19 "$GO" install -p 1 -ldflags "$ldflags" \
    "istio.io/istio/istioctl/cmd/istioctl@$ISTIO_MODULE_VERSION"
  mkdir -p "$istio_bin"
  mv -f "$istio_bin.tmp/istioctl" "$istio_bin/istioctl"
  rmdir "$istio_bin.tmp"
  (cd "$istio_bin" && sha256sum istioctl > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
  echo "build_istioctl.sh: built in $(($(date +%s) - start)) s; istioctl and SHA256SUMS in $istio_bin"
}
main "$@"
