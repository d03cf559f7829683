"""Third-party CRDs the API server must know before our objects reach it, read from the Go
module cache at pinned versions (`go mod download`; nothing is vendored).

Istio: the CRDs of Istio's base chart. The chart lives in the `istio.io/istio` module, whose
release tags (`1.26.2`, no `v`) are not semantic versions, so the module proxy refuses them
("This module version is not available"); the chart's `files/crd-all.gen.yaml` is generated from
`kubernetes/customresourcedefinitions.gen.yaml` of `istio.io/api` at the same release, which
the proxy serves as `v1.26.2`. ServiceMonitor: prometheus-operator's generated CRD. KEDA:
ScaledObject and TriggerAuthentication of the release whose schemas are vendored
(tools/fetch_keda_crds.py holds the pin, read here so there is one).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import tempfile
from pathlib import Path

from e2e_kind.platform import ISTIO_VERSION

__all__ = ["ISTIO_API", "KEDA", "PROMETHEUS_OPERATOR", "crd_files", "module_dir"]

ISTIO_API = ("istio.io/api", f"v{ISTIO_VERSION}")
PROMETHEUS_OPERATOR = ("github.com/prometheus-operator/prometheus-operator", "v0.93.0")


def _keda_pin() -> tuple[str, str]:
    tool = Path(__file__).resolve().parents[2] / "tools" / "fetch_keda_crds.py"
    spec = importlib.util.spec_from_file_location("fetch_keda_crds", tool)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODULE, module.VERSION


KEDA = _keda_pin()


def module_dir(go: Path, module: str, version: str) -> Path:
    """The module's directory in the Go module cache, downloaded first if need be."""
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": ""}
    with tempfile.TemporaryDirectory() as outside_any_module:
        done = subprocess.run(
            [go, "mod", "download", "-json", f"{module}@{version}"],
            capture_output=True, text=True, env=env, cwd=outside_any_module, timeout=900,
        )  # fmt: skip
    answer = json.loads(done.stdout or "{}")
    if done.returncode != 0 or "Dir" not in answer:
        raise AssertionError(f"go mod download {module}@{version}: {answer.get('Error')}")
    return Path(answer["Dir"])


def crd_files(go: Path) -> list[Path]:
    """Istio's CRDs, then ServiceMonitor's, then KEDA's."""
    istio = module_dir(go, *ISTIO_API) / "kubernetes" / "customresourcedefinitions.gen.yaml"
    operator = module_dir(go, *PROMETHEUS_OPERATOR) / "example" / "prometheus-operator-crd"
    keda = module_dir(go, *KEDA) / "config" / "crd" / "bases"
    return [
        istio,
        operator / "monitoring.coreos.com_servicemonitors.yaml",
        keda / "keda.sh_scaledobjects.yaml",
        keda / "keda.sh_triggerauthentications.yaml",
    ]
