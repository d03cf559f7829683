"""The orchestrator's per-node readiness state over the in-process transport: a node not ready
is not called; a router's unavailable child fails fast, or falls back when the graph says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from runtime_graph import node

from infergraph_server.orchestrator.errors import NodeError
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.transport import InProcessTransport

from .nodes import graph, seldon_node

Message = dict[str, Any]
REQUEST: Message = {"data": {"ndarray": [[1.0, 2.0]]}}


def echo(tag: str) -> Any:
    return seldon_node(lambda path, msg: {**msg, "meta": {"tags": {"by": tag}}})


def route_to(index: int) -> Any:
    return seldon_node(
        lambda path, msg: {"data": {"ndarray": [[index]]}} if path == "/route" else {}
    )


def ab(fallback: bool, chosen: int = 1) -> tuple[Executor, InProcessTransport]:
    root = node("ab", "ROUTER", node("a"), node("b"), fallback=fallback)
    transport = InProcessTransport({"ab": route_to(chosen), "a": echo("a"), "b": echo("b")})
    return Executor(graph(root), transport), transport


def run(executor: Executor, message: Message) -> Message:
    return asyncio.run(executor.predict(dict(message)))


def test_a_node_not_ready_is_not_called_and_named() -> None:
    executor, transport = ab(fallback=False, chosen=0)
    executor.readiness.fail(executor.graph.root.children[0], "/v2/health/ready answered 503")
    with pytest.raises(NodeError, match=r"node 'a' is not ready; router 'ab' chose child 0") as err:
        run(executor, REQUEST)
    assert err.value.status == 503
    assert "fallback is off" in str(err.value)
    assert transport.calls == [("ab", "/route")]


def test_router_with_fallback_sends_to_the_next_ready_child_and_records_it() -> None:
    executor, transport = ab(fallback=True, chosen=1)
    executor.readiness.fail(executor.graph.root.children[1], "killed")
    out = run(executor, REQUEST)
    assert out["meta"]["tags"] == {"by": "a"}
    assert out["meta"]["routing"] == {"ab": 0}
    assert transport.calls == [("ab", "/route"), ("a", "/predict")]
    executor.readiness.recover(executor.graph.root.children[1])
    assert run(executor, REQUEST)["meta"]["routing"] == {"ab": 1}


def test_router_with_fallback_and_no_ready_child_fails_fast() -> None:
    executor, _ = ab(fallback=True)
    for child in executor.graph.root.children:
        executor.readiness.fail(child, "killed")
    with pytest.raises(NodeError, match=r"node 'b' is not ready; .*no other child is ready"):
        run(executor, REQUEST)


def test_a_child_subtree_with_a_node_not_ready_counts_as_unavailable() -> None:
    root = node("ab", "ROUTER", node("a"), node("pre", "TRANSFORMER", node("b")), fallback=True)
    handlers = {"ab": route_to(1), "a": echo("a"), "pre": echo("pre"), "b": echo("b")}
    executor = Executor(graph(root), InProcessTransport(handlers))
    executor.readiness.fail(root_node(executor, "b"), "killed")
    assert run(executor, REQUEST)["meta"]["routing"] == {"ab": 0}


def root_node(executor: Executor, name: str) -> Any:
    return next(n for n in executor.graph.nodes() if n.name == name)


def test_a_503_answer_marks_the_node_not_ready_and_later_calls_skip_it() -> None:
    not_ready = seldon_node(lambda p, m: (503, {"error": "model b is not ready"}))
    root = node("ab", "ROUTER", node("a"), node("b"), fallback=True)
    transport = InProcessTransport({"ab": route_to(1), "a": echo("a"), "b": not_ready})
    executor = Executor(graph(root), transport)
    with pytest.raises(NodeError, match=r"node 'b' answered /predict with 503") as err:
        run(executor, REQUEST)
    assert err.value.status == 503  # unavailable, not a bad gateway
    assert executor.readiness.down == {"b": "answered /predict with 503: model b is not ready"}
    assert run(executor, REQUEST)["meta"]["tags"] == {"by": "a"}
    assert transport.calls.count(("b", "/predict")) == 1


def test_an_unreachable_node_is_marked_not_ready_once_its_retries_are_spent() -> None:
    transport = InProcessTransport({})
    executor = Executor(graph(node("clf", retries=1)), transport)
    for _ in range(3):
        with pytest.raises(NodeError, match="node 'clf'") as err:
            run(executor, REQUEST)
        assert err.value.status == 503
    assert transport.calls == [("clf", "/predict")] * 2  # then no more attempts
    assert "unreachable" in executor.readiness.down["clf"]


def test_a_slow_answer_does_not_mark_the_node_not_ready() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m, delay=1.0)})
    executor = Executor(graph(node("clf", timeoutMs=20)), transport)
    with pytest.raises(NodeError, match="timed out"):
        run(executor, REQUEST)
    assert executor.readiness.down == {}
