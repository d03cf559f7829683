"""Istio's own tools on our objects, from the `istio.io/istio` module at ISTIO_MODULE_VERSION
(tools/cluster/env.sh): `istioctl analyze` and istiod (`pilot-discovery`, the sidecar injector of
istiod.py), built by tools/cluster/build_istioctl.sh, and Istio's base and discovery charts, read
from the module cache (`manifests/charts/base`, `manifests/charts/istio-control/istio-discovery`).

The module's release tags are not semantic versions, so the Go module proxy does not serve the
kind tier's ISTIO_VERSION; env.sh says which pseudo-version is used instead and why.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .crds import module_dir
from .local import Paths, log, settings

__all__ = ["ISTIOCTL_NOT_BUILT", "SUPPRESSED", "Istio", "findings", "istio"]

ISTIOCTL_NOT_BUILT = (
    "istioctl: istioctl or pilot-discovery not built (make istioctl once; a cold build is too"
    " long for CI)"
)
# The one place `istioctl analyze` findings are suppressed: {"CODE=resource glob": why}.
SUPPRESSED: dict[str, str] = {}
# istioctl analyze's exit code when it reported a message at or above --failure-threshold
FOUND_ISSUES = 79
REPORTED_LEVELS = ("Error", "Warning")


@dataclass(frozen=True)
class Istio:
    """istioctl's and istiod's cached binaries and the istio.io/istio module version they were
    built from."""

    istioctl: Path
    module_version: str

    @property
    def pilot_discovery(self) -> Path:
        """istiod's binary, beside istioctl."""
        return self.istioctl.parent / "pilot-discovery"

    def built(self) -> bool:
        """istioctl and istiod are in the cache (build_istioctl.sh has run)."""
        return all(os.access(b, os.X_OK) for b in (self.istioctl, self.pilot_discovery))

    def chart(self, where: Paths, name: str) -> Path:
        """One of Istio's charts (`base`, `istio-control/istio-discovery`) in the module cache
        (the module downloaded first if need be)."""
        module = module_dir(where, "istio.io/istio", self.module_version)
        return module / "manifests" / "charts" / name

    def analyze(self, *args: str | Path, env: Mapping[str, str] | None = None) -> list[str]:
        """`istioctl analyze ARGS`: its Error and Warning messages, less SUPPRESSED, one line
        each (code, level, resource, message)."""
        suppress = [arg for rule in SUPPRESSED for arg in ("--suppress", rule)]
        argv = [str(a) for a in (self.istioctl, "analyze", "-o", "json", *suppress, *args)]
        log.info("$ %s", " ".join(argv))
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        if done.returncode not in (0, FOUND_ISSUES):
            raise AssertionError(f"istioctl analyze exited {done.returncode}:\n{done.stderr}")
        return findings(json.loads(done.stdout))


def findings(messages: list[dict[str, Any]]) -> list[str]:
    """The Error and Warning messages of `istioctl analyze -o json`, one line each."""
    return [
        f"{m['code']} {m['level']} {m.get('origin', '')}: {m['message']}"
        for m in messages
        if m["level"] in REPORTED_LEVELS
    ]


def istio(env: Mapping[str, str] | None = None) -> Istio:
    """istioctl's path and module version as tools/cluster/env.sh declares them."""
    found = settings(("ISTIO_BIN", "ISTIO_MODULE_VERSION"), env)
    return Istio(Path(found["ISTIO_BIN"]) / "istioctl", found["ISTIO_MODULE_VERSION"])
