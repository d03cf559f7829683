"""Detectors fed the payload-log stream, selected by `--detector`: the registry is the declaration.

Each detector declared in implementations.json (`detectors`) names its class as `server:
"module:Class"` (a module of this package).
"""

from __future__ import annotations

import importlib

from infergraph_server.vocabulary import DETECTOR_PACKAGE, DETECTORS

__all__ = ["detector_class"]


def detector_class(name: str) -> type:
    """The class of declared detector `name` (imported on demand: one detector per process)."""
    module, _, cls = DETECTORS[name].server.partition(":")
    found: type = getattr(importlib.import_module(f"{DETECTOR_PACKAGE}.{module}"), cls)
    return found
