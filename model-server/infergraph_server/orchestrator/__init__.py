"""The graph orchestrator: runs one predictor's runtime graph by calling its node servers.

`Executor` is protocol-neutral and talks to nodes through a `Transport`
(`InProcessTransport` for tests, `HttpTransport` for real servers); `OrchestratorService`
puts it behind the component server's HTTP core.
"""

from .errors import NodeError, OrchestratorError, Overloaded
from .executor import Executor
from .graph import GraphError, RuntimeGraph, RuntimeNode, load_graph, parse_graph
from .transport import InProcessTransport, Response, Transport

__all__ = [
    "Executor",
    "GraphError",
    "InProcessTransport",
    "NodeError",
    "OrchestratorError",
    "Overloaded",
    "Response",
    "RuntimeGraph",
    "RuntimeNode",
    "Transport",
    "load_graph",
    "parse_graph",
]
