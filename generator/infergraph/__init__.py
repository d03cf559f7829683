"""infergraph: compile an inference-graph definition into Helm values, jsonnet and a local runtime.

graph = infergraph.load("examples/ab-test.yaml")   # validated, typed; InvalidGraph lists problems
values = graph.compile()                            # the explicit values document
objects = infergraph.render(graph, engine="helm")   # Kubernetes objects, kind then name
"""

from .api import render
from .errors import InvalidGraph, Problem
from .loading import load
from .model import Graph

__version__ = "0.1.0"

__all__ = ["Graph", "InvalidGraph", "Problem", "__version__", "load", "render"]
