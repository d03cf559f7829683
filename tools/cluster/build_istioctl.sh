#!/usr/bin/env bash
# Builds istioctl and istiod (pilot-discovery) from the istio.io/istio module (ISTIO_MODULE_VERSION
# in env.sh) on the Go module proxy into a cache outside the checkout, keyed by version, so a second
# run only checks the cache. The tier runs istiod on 127.0.0.1 as the sidecar injector
# (tests/cluster/istiod.py); most of its packages are istioctl's, so it adds little to the build. Like build.sh: nice 19 with -p 1 (the machine is shared), the build time printed and the
# SHA-256 sum recorded next to the binary. The same module holds Istio's base chart
# (manifests/charts/base), which the cluster tier installs from the module cache.
set -euo pipefail

# The whole script is one function, parsed before it runs: editing this file during a build is safe.
main() {

  here="$(cd "$(dirname "$0")" && pwd)"
  source "$here/env.sh"
  istio_bin="$ISTIO_BIN"
  export GOTOOLCHAIN=local GOFLAGS=-trimpath CGO_ENABLED=0

  # binary -> its package in the module
  declare -A packages=([istioctl]=istioctl/cmd/istioctl [pilot-discovery]=pilot/cmd/pilot-discovery)
  missing=()
  for name in istioctl pilot-discovery; do
    [[ -x "$istio_bin/$name" ]] || missing+=("$name")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    (cd "$istio_bin" && sha256sum --quiet -c SHA256SUMS)
    echo "build_istioctl.sh: cached ($istio_bin; checksums verified)"
    return
  fi
  if [[ -f "$istio_bin/SHA256SUMS" ]]; then  # what is cached is checked before it is kept
    (cd "$istio_bin" && sha256sum --quiet -c --ignore-missing SHA256SUMS)
  fi

  start=$(date +%s)
  revision="${ISTIO_MODULE_VERSION##*-}"
  pkg=istio.io/istio/pkg/version
  ldflags="-s -w -X $pkg.buildVersion=$ISTIO_MODULE_VERSION -X $pkg.buildGitRevision=$revision"
  ldflags+=" -X $pkg.buildStatus=Clean -X $pkg.buildTag=$ISTIO_MODULE_VERSION"
  echo "build_istioctl.sh: building ${missing[*]} $ISTIO_MODULE_VERSION (nice 19, -p 1; first build is long)"
  mkdir -p "$istio_bin.tmp" "$istio_bin"
  for name in "${missing[@]}"; do
    GOBIN="$istio_bin.tmp" nice -n 19 "$GO" install -p 1 -ldflags "$ldflags" \
      "istio.io/istio/${packages[$name]}@$ISTIO_MODULE_VERSION"
    mv -f "$istio_bin.tmp/$name" "$istio_bin/$name"
  done
  rmdir "$istio_bin.tmp"
  (cd "$istio_bin" && sha256sum istioctl pilot-discovery > SHA256SUMS.tmp && mv -f SHA256SUMS.tmp SHA256SUMS)
  echo "build_istioctl.sh: built in $(($(date +%s) - start)) s; ${missing[*]} and SHA256SUMS in $istio_bin"
}
main "$@"
