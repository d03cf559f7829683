"""Runtime graph documents, the orchestrator's input, for the tests and benchmarks that run
one by hand (the tests import it too: pytest's pythonpath has bench/).

One builder, so a field the compiler starts writing into runtime graphs reaches every such
test and benchmark from here. Defaults put nodes on loopback with short timeouts; keyword
arguments override any field, spelled as the document spells it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["graph_doc", "node", "sklearn_node", "with_protocols", "write_graph_doc"]

Message = dict[str, Any]


def node(name: str, type_: str = "MODEL", *children: Message, **fields: Any) -> Message:
    """A runtime-graph node: a custom image on loopback unless `fields` say otherwise."""
    return {
        "name": name,
        "type": type_,
        "implementation": None,
        "image": f"example/{name}:1",
        "host": "127.0.0.1",
        "httpPort": 9,
        "grpcPort": 0,
        "readinessPath": "/v2/health/ready",
        "fallback": False,
        "timeoutMs": 1000,
        "retries": 2,
        "logger": None,
        "children": list(children),
        **fields,
    }


def sklearn_node(name: str, http_port: int, grpc_port: int, **fields: Any) -> Message:
    """A SKLEARN_SERVER MODEL node served on loopback at these ports."""
    served = {"implementation": "SKLEARN_SERVER", "image": None, "timeoutMs": 10000, "retries": 0}
    return node(name, httpPort=http_port, grpcPort=grpc_port, **(served | fields))


def with_protocols(doc: Message, protocol: str) -> Message:
    """`doc` with a `protocol` on every node that has none, as the compiler writes it: the
    graph's, except for routers and combiners (Seldon only)."""
    seldon_only = doc["type"] in ("ROUTER", "COMBINER")
    return {
        **doc,
        "protocol": doc.get("protocol") or ("seldon" if seldon_only else protocol),
        "children": [with_protocols(c, protocol) for c in doc["children"]],
    }


def graph_doc(root: Message, protocol: str = "seldon", **fields: Any) -> Message:
    """A runtime graph document around `root`; `fields` override the graph-level settings."""
    return {
        "graph": "g",
        "predictor": "main",
        "predictorVersion": "",
        "protocol": protocol,
        "transport": "rest",
        "maxConcurrency": 64,
        "maxBodyBytes": 1 << 20,
        "probePeriodMs": 50,
        "probeTimeoutMs": 2000,
        "probeFailureThreshold": 3,
        "logging": None,
        "root": with_protocols(root, protocol),
        **fields,
    }


def write_graph_doc(path: Path, root: Message, protocol: str = "seldon", **fields: Any) -> Path:
    """`graph_doc(...)` written as JSON to `path`; the path."""
    path.write_text(json.dumps(graph_doc(root, protocol, **fields)))
    return path
