"""The node-type table: one object per vocabulary node type, agreeing with the compiler."""

from __future__ import annotations

import pytest
from runtime_graph import graph_doc, node

from infergraph.compile.runtime import SELDON_ONLY
from infergraph_server.node_types import NODE_KINDS
from infergraph_server.orchestrator.graph import GraphError, parse_graph
from infergraph_server.vocabulary import NODE_TYPES


def test_the_table_has_one_object_per_vocabulary_node_type() -> None:
    assert sorted(NODE_KINDS) == sorted(NODE_TYPES)
    assert all(kind.name == name for name, kind in NODE_KINDS.items())


def test_the_compiler_writes_seldon_exactly_for_types_without_a_v2_call() -> None:
    assert sorted(SELDON_ONLY) == sorted(n for n, k in NODE_KINDS.items() if k.v2_method is None)


@pytest.mark.parametrize(
    ("root", "message"),
    [
        (
            node("r", "ROUTER", node("a"), node("b"), protocol="v2"),
            '/root/protocol: "v2" is not valid; a ROUTER has no V2 call',
        ),
        (node("m", fallback=True), "/root/fallback: true is not valid; only routers choose"),
    ],
)
def test_a_runtime_graph_a_node_type_cannot_run_is_refused(root: dict, message: str) -> None:
    with pytest.raises(GraphError, match=message):
        parse_graph(graph_doc(root))
