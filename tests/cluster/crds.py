"""Third-party CRDs the API server must know before our objects reach it, read from the Go
module cache at pinned versions (`go mod download`; nothing is vendored).

Istio: the CRDs of Istio's base chart. The chart lives in the `istio.io/istio` module, whose
release tags (`1.26.2`, no `v`) are not semantic versions, so the module proxy refuses them
("This module version is not available"); the chart's `files/crd-all.gen.yaml` is generated from
`kubernetes/customresourcedefinitions.gen.yaml` of `istio.io/api` at the same release, which
the proxy serves as `v1.26.2`. ServiceMonitor: prometheus-operator's generated CRD. Gateway
API: the standard channel's HTTPRoute and GRPCRoute, and KEDA: ScaledObject and
TriggerAuthentication, each of the release whose schemas are vendored (the pins of
tools/fetch_gateway_api.py and tools/fetch_keda_crds.py, read here so there is one).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import tempfile
from pathlib import Path

from e2e_kind.platform import ISTIO_VERSION

from .local import Paths

__all__ = ["GATEWAY_API", "ISTIO_API", "KEDA", "PROMETHEUS_OPERATOR", "crd_files", "module_dir"]

ISTIO_API = ("istio.io/api", f"v{ISTIO_VERSION}")
PROMETHEUS_OPERATOR = ("github.com/prometheus-operator/prometheus-operator", "v0.93.0")


def _pin(script_name: str) -> tuple[str, str]:
    """(module, version) of vendored schemas, read from their fetch script."""
    script = Path(__file__).resolve().parents[2] / "tools" / script_name
    spec = importlib.util.spec_from_file_location(script.stem, script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODULE, module.VERSION


GATEWAY_API = _pin("fetch_gateway_api.py")
KEDA = _pin("fetch_keda_crds.py")


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
    """Istio's CRDs, then ServiceMonitor's, the Gateway API routes' and KEDA's."""
    istio = module_dir(where, *ISTIO_API) / "kubernetes" / "customresourcedefinitions.gen.yaml"
    operator = module_dir(where, *PROMETHEUS_OPERATOR) / "example" / "prometheus-operator-crd"
    gateway = module_dir(where, *GATEWAY_API) / "config" / "crd" / "standard"
    keda = module_dir(where, *KEDA) / "config" / "crd" / "bases"
    return [
        istio,
        operator / "monitoring.coreos.com_servicemonitors.yaml",
        gateway / "gateway.networking.k8s.io_httproutes.yaml",
        gateway / "gateway.networking.k8s.io_grpcroutes.yaml",
        keda / "keda.sh_scaledobjects.yaml",
        keda / "keda.sh_triggerauthentications.yaml",
    ]
