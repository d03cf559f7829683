"""infergraph: compile an inference-graph definition into Helm values, jsonnet and a local runtime.

graph = infergraph.load("examples/ab-test.yaml")   # validated, typed; InvalidGraph lists problems
values = graph.compile()                            # the explicit values document
objects = infergraph.render(graph, engine="helm")   # Kubernetes objects, kind then name

The names below are imported on first use: importing a submodule (the `infergraph` console
script's `entry` first of all) then costs nothing of the compiler or the renderers.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`'s: the console script's first import stays this small
if TYPE_CHECKING:
    from .api import render
    from .errors import InvalidGraph, Problem
    from .loading import load
    from .model import Graph

__version__ = "0.1.0"

__all__ = ["Graph", "InvalidGraph", "Problem", "__version__", "load", "render"]

#: each lazily exported name and the module that defines it
_HOMES = {
    "Graph": ".model",
    "InvalidGraph": ".errors",
    "Problem": ".errors",
    "load": ".loading",
    "render": ".api",
}


def __getattr__(name: str) -> object:
    """Import a public name's module on first access (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value: object = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value
