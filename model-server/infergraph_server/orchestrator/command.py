"""The `infergraph-server orchestrator` subcommand (registered in `infergraph_server.cli`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from infergraph_server.runner import serve
from infergraph_server.settings import (
    OrchestratorSettings,
    SettingsError,
    add_server_flags,
    setting,
)

from .graph import GraphError, load_graph
from .service import OrchestratorService

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `orchestrator --graph FILE` with the shared server flags."""
    parser = subparsers.add_parser(
        "orchestrator",
        help="run one predictor's inference graph (Seldon and V2 protocols)",
        description="Serve one predictor: call its graph's node servers for every request.",
    )
    parser.add_argument(
        "--graph", help="runtime graph JSON file [INFERGRAPH_GRAPH, /etc/infergraph/graph.json]"
    )
    add_server_flags(parser)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        graph = setting(args, "graph", "INFERGRAPH_GRAPH", OrchestratorSettings.graph, str)
        namespace = setting(args, "namespace", "INFERGRAPH_NAMESPACE", "", str)
        settings = OrchestratorSettings(
            **OrchestratorSettings.server_fields(args), graph=graph, namespace=namespace
        )
        load_graph(graph)  # fail here, with the file named, rather than in every worker
    except (SettingsError, GraphError) as exc:
        print(f"infergraph-server orchestrator: {exc}", file=sys.stderr)
        return 1
    return serve(settings, OrchestratorService)
