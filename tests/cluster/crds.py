"""Third-party CRDs the API server must know before our objects reach it, read from the Go
module cache at pinned versions (`go mod download`; nothing is vendored).

Istio: the CRDs of Istio's base chart. The chart lives in the `istio.io/istio` module, whose
release tags (`1.26.2`, no `v`) are not semantic versions, so the module proxy refuses them
("This module version is not available"); the chart's `files/crd-all.gen.yaml` is generated from
`kubernetes/customresourcedefinitions.gen.yaml` of `istio.io/api` at the same release, which
the proxy serves as `v1.26.2`. ServiceMonitor: prometheus-operator's generated CRD.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from e2e_kind.platform import ISTIO_VERSION

from .local import Paths

__all__ = ["ISTIO_API", "PROMETHEUS_OPERATOR", "crd_files", "module_dir"]

ISTIO_API = ("istio.io/api", f"v{ISTIO_VERSION}")
PROMETHEUS_OPERATOR = ("github.com/prometheus-operator/prometheus-operator", "v0.93.0")


def module_dir(where: Paths, module: str, version: str) -> Path:
    """The module's directory in the cluster's Go module cache, downloaded first if need be."""
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "", "GOMODCACHE": str(where.gomodcache)}
    go = where.go
    with tempfile.TemporaryDirectory() as outside_any_module:
        done = subprocess.run(
            [go, "mod", "download", "-json", f"{module}@{version}"],
            capture_output=True, text=True, env=env, cwd=outside_any_module, timeout=900,
        )  # fmt: skip
    answer = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Dir" not in answer:
        raise AssertionError(f"go mod download {module}@{version}: {answer.get('Error')}")
    return Path(answer["Dir"])


def crd_files(where: Paths) -> list[Path]:
    """Istio's CRDs, then ServiceMonitor's."""
    istio = module_dir(where, *ISTIO_API) / "kubernetes" / "customresourcedefinitions.gen.yaml"
    operator = module_dir(where, *PROMETHEUS_OPERATOR) / "example" / "prometheus-operator-crd"
    return [istio, operator / "monitoring.coreos.com_servicemonitors.yaml"]
