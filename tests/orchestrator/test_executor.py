"""Graph semantics over the in-process transport: no sockets, real executor."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from runtime_graph import node

from infergraph_server.orchestrator.errors import NodeError, OrchestratorError, Overloaded
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.transport import InProcessTransport

from .nodes import graph, seldon_node

Message = dict[str, Any]


def scale(factor: float, tag: str | None = None) -> Any:
    """A model multiplying every value by `factor`, tagging and metering itself."""

    def answer(path: str, msg: Message) -> Message:
        rows = [[v * factor for v in row] for row in msg["data"]["ndarray"]]
        meta: Message = {"metrics": [{"type": "COUNTER", "key": f"calls_{factor}", "value": 1}]}
        if tag:
            meta["tags"] = {tag: factor}
        return {"data": {"names": [], "ndarray": rows}, "meta": meta}

    return seldon_node(answer)


def route_to(index: int, seen: list[tuple[str, Message]] | None = None) -> Any:
    def answer(path: str, msg: Message) -> Message:
        return {"data": {"ndarray": [[index]]}} if path == "/route" else {}

    return seldon_node(answer, seen=seen)


def mean_combiner(path: str, msg: Message) -> Message:
    outs = [m["data"]["ndarray"] for m in msg["seldonMessages"]]
    rows = [
        [sum(col) / len(col) for col in zip(*rs, strict=True)] for rs in zip(*outs, strict=True)
    ]
    return {"data": {"ndarray": rows}, "meta": {"tags": {"combined": len(outs)}}}


def run(executor: Executor, message: Message) -> Message:
    return asyncio.run(executor.predict(message))


REQUEST: Message = {"data": {"ndarray": [[1.0, 2.0]]}}


def test_chain_of_transformer_model_output_transformer() -> None:
    root = node("pre", "TRANSFORMER", node("clf", "MODEL", node("post", "OUTPUT_TRANSFORMER")))
    transport = InProcessTransport({"pre": scale(2), "clf": scale(3), "post": scale(5)})
    out = run(Executor(graph(root), transport), {"data": {"ndarray": [[1.0, 2.0]]}})
    assert out["data"]["ndarray"] == [[30.0, 60.0]]
    assert transport.calls == [
        ("pre", "/transform-input"),
        ("clf", "/predict"),
        ("post", "/transform-output"),
    ]
    assert out["meta"]["requestPath"] == {
        "pre": "example/pre:1",
        "clf": "example/clf:1",
        "post": "example/post:1",
    }
    assert out["meta"]["routing"] == {"pre": -1, "clf": -1}


def test_router_follows_the_chosen_child_and_records_it() -> None:
    root = node("ab", "ROUTER", node("a"), node("b"), implementation="RANDOM_ABTEST", image=None)
    transport = InProcessTransport({"ab": route_to(1), "a": scale(2), "b": scale(10)})
    out = run(Executor(graph(root), transport), dict(REQUEST))
    assert out["data"]["ndarray"] == [[10.0, 20.0]]
    assert out["meta"]["routing"] == {"ab": 1}
    assert out["meta"]["requestPath"] == {"ab": "RANDOM_ABTEST", "b": "example/b:1"}
    assert ("a", "/predict") not in transport.calls


def test_router_choosing_a_missing_child_is_named() -> None:
    root = node("ab", "ROUTER", node("a"), node("b"))
    transport = InProcessTransport({"ab": route_to(5), "a": scale(2), "b": scale(10)})
    with pytest.raises(NodeError, match=r"node 'ab' chose child 5; it has 2") as err:
        run(Executor(graph(root), transport), dict(REQUEST))
    assert err.value.status == 502


def test_combiner_aggregates_children_and_keeps_their_tags_and_metrics() -> None:
    root = node("avg", "COMBINER", node("a"), node("b"), node("c"))
    transport = InProcessTransport(
        {
            "avg": seldon_node(mean_combiner),
            "a": scale(1, "a"),
            "b": scale(2, "b"),
            "c": scale(6, "c"),
        }
    )
    out = run(
        Executor(graph(root), transport),
        {"data": {"ndarray": [[1.0, 2.0]]}, "meta": {"puid": "p-1", "tags": {"caller": "test"}}},
    )
    assert out["data"]["ndarray"] == [[3.0, 6.0]]
    meta = out["meta"]
    assert meta["puid"] == "p-1"
    assert meta["tags"] == {"caller": "test", "a": 1, "b": 2, "c": 6, "combined": 3}
    assert sorted(m["key"] for m in meta["metrics"]) == ["calls_1", "calls_2", "calls_6"]
    assert meta["routing"] == {"avg": -1}


def test_fan_out_without_combiner_returns_the_first_child() -> None:
    root = node("pre", "TRANSFORMER", node("a"), node("b"))
    transport = InProcessTransport({"pre": scale(1), "a": scale(2), "b": scale(10)})
    out = run(Executor(graph(root), transport), dict(REQUEST))
    assert out["data"]["ndarray"] == [[2.0, 4.0]]
    assert {name for name, _ in transport.calls} == {"pre", "a", "b"}


def test_puid_is_generated_and_sent_to_every_node() -> None:
    seen: list[tuple[str, Message]] = []
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m, seen=seen)})
    out = run(Executor(graph(node("clf")), transport), dict(REQUEST))
    puid = out["meta"]["puid"]
    assert len(puid) == 32
    assert seen[0][1]["meta"] == {"puid": puid}


def test_generated_puids_are_version_4_uuids_like_uuid4_hex() -> None:
    """The cheap generator keeps the form clients saw from `uuid.uuid4().hex`."""
    transport = InProcessTransport({"clf": scale(1)})
    executor = Executor(graph(node("clf")), transport)
    puids = [run(executor, dict(REQUEST))["meta"]["puid"] for _ in range(200)]
    assert len(set(puids)) == 200
    for puid in puids:
        parsed = uuid.UUID(hex=puid)
        assert (parsed.hex, parsed.version, parsed.variant) == (puid, 4, uuid.RFC_4122)


def test_feedback_replays_routing_to_the_router_and_the_chosen_model() -> None:
    seen: list[tuple[str, Message]] = []
    root = node("ab", "ROUTER", node("a"), node("b"))
    transport = InProcessTransport(
        {"ab": route_to(1, seen), "a": scale(2), "b": seldon_node(lambda p, m: {}, seen=seen)}
    )
    executor = Executor(graph(root), transport)
    answer = run(executor, dict(REQUEST))
    feedback = {"request": REQUEST, "response": answer, "reward": 1.0}
    out = asyncio.run(executor.feedback(feedback))
    assert transport.calls[-2:] == [("b", "/send-feedback"), ("ab", "/send-feedback")]
    assert ("a", "/send-feedback") not in transport.calls
    assert seen[-1] == ("/send-feedback", feedback)
    assert out["meta"]["routing"] == {"ab": 1}


def test_feedback_without_routing_for_a_router_is_a_400_naming_it() -> None:
    root = node("ab", "ROUTER", node("a"), node("b"))
    executor = Executor(graph(root), InProcessTransport({}))
    with pytest.raises(OrchestratorError, match=r"/response/meta/routing/ab: None") as err:
        asyncio.run(executor.feedback({"response": {"data": {}}, "reward": 1}))
    assert err.value.status == 400


def test_node_error_answer_names_node_and_cause() -> None:
    broken = seldon_node(lambda p, m: (500, {"status": {"info": "model exploded"}}))
    transport = InProcessTransport({"pre": scale(1), "clf": broken})
    root = node("pre", "TRANSFORMER", node("clf"))
    with pytest.raises(
        NodeError, match=r"node 'clf' answered /predict with 500: model exploded"
    ) as err:
        run(Executor(graph(root), transport), dict(REQUEST))
    assert (err.value.status, err.value.node) == (502, "clf")


def test_node_client_error_keeps_its_status() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: (400, {"error": "bad shape"}))})
    with pytest.raises(NodeError, match="bad shape") as err:
        run(Executor(graph(node("clf")), transport), dict(REQUEST))
    assert err.value.status == 400


def test_unreachable_node_is_retried_then_named() -> None:
    transport = InProcessTransport({})
    with pytest.raises(NodeError, match=r"node 'clf' is unreachable at 127.0.0.1:9") as err:
        run(Executor(graph(node("clf", retries=2)), transport), dict(REQUEST))
    assert err.value.status == 503
    assert transport.calls == [("clf", "/predict")] * 3


def test_slow_node_times_out_with_its_name() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m, delay=1.0)})
    root = node("clf", timeoutMs=50)
    with pytest.raises(NodeError, match=r"node 'clf' timed out after 50 ms") as err:
        run(Executor(graph(root), transport), dict(REQUEST))
    assert err.value.status == 504


def test_requests_over_the_concurrency_limit_get_503_at_once() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m, delay=0.2)})
    executor = Executor(graph(node("clf"), max_concurrency=2), transport)

    async def burst() -> list[Any]:
        loop = asyncio.get_running_loop()
        first = [asyncio.create_task(executor.predict(dict(REQUEST))) for _ in range(2)]
        await asyncio.sleep(0.01)
        started = loop.time()
        with pytest.raises(Overloaded, match="concurrency limit"):
            await executor.predict(dict(REQUEST))
        assert loop.time() - started < 0.05
        return list(await asyncio.gather(*first))

    assert len(asyncio.run(burst())) == 2
    assert executor.inflight == 0


def test_a_node_call_that_answers_in_time_leaves_no_timer_behind() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m)})
    executor = Executor(graph(node("clf", timeoutMs=50)), transport)

    async def predict_then_wait() -> Message:
        out = await executor.predict(dict(REQUEST))
        await asyncio.sleep(0.15)  # past the node's deadline: nothing may cancel us now
        return out

    assert asyncio.run(predict_then_wait())["data"] == REQUEST["data"]


def test_a_cancelled_request_stays_cancelled_and_is_no_timeout() -> None:
    transport = InProcessTransport({"clf": seldon_node(lambda p, m: m, delay=1.0)})
    executor = Executor(graph(node("clf", timeoutMs=50)), transport)

    async def cancel_it() -> None:
        task = asyncio.create_task(executor.predict(dict(REQUEST)))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.1)  # the node's deadline passes: its timer is gone too

    asyncio.run(cancel_it())
    assert executor.inflight == 0


def test_a_timeout_inside_a_fan_out_names_the_slow_child() -> None:
    transport = InProcessTransport(
        {"a": seldon_node(lambda p, m: m), "b": seldon_node(lambda p, m: m, delay=1.0)}
    )
    root = node("comb", "COMBINER", node("a"), node("b", timeoutMs=50))
    with pytest.raises(NodeError, match=r"node 'b' timed out after 50 ms") as err:
        run(Executor(graph(root), transport), dict(REQUEST))
    assert err.value.status == 504
