"""Adaptive batching in the data plane: invisible to every request, isolated on errors."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infergraph_server.codecs.v2 import InferRequest, Tensor
from infergraph_server.component.batching import Batcher, split_rows
from infergraph_server.component.dataplane import DataPlane
from infergraph_server.errors import ModelError
from infergraph_server.settings import ComponentSettings


def same_key() -> str:
    """The compatibility key of every request here: all may share a call."""
    return "k"


async def loaded(**kw: Any) -> DataPlane:
    plane = DataPlane(ComponentSettings(name="m", metrics_port=0, **kw))
    await plane.load()
    plane.ready = True
    return plane


def seldon(rows: list[list[float]], names: list[str], puid: str) -> dict[str, Any]:
    return {"data": {"names": names, "ndarray": rows}, "meta": {"puid": puid}}


# one request: (row values, feature names, yields before sending, as V2 or Seldon)
REQUEST = st.tuples(
    st.integers(1, 5).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(-3, 9).map(float), min_size=n, max_size=n),
            min_size=1,
            max_size=4,
        )
    ),
    st.sampled_from([["a", "b"], ["c", "d"], []]),
    st.integers(0, 6),
    st.booleans(),
)


async def answer(plane: DataPlane, request: Any, index: int) -> Any:
    rows, names, yields, v2 = request
    for _ in range(yields):
        await asyncio.sleep(0)
    try:
        if v2:
            tensor = Tensor("x", "FP64", np.array(rows, dtype=np.float64))
            out = await plane.infer("m", InferRequest([tensor], id=str(index)))
            return [(t.name, t.datatype, t.array.tolist()) for t in out]
        out = await plane.predict(seldon(rows, names, f"p{index}"))
        return {**out, "data": {**out["data"], "ndarray": out["data"]["ndarray"].tolist()}}
    except ModelError as exc:
        return ("error", exc.status)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    requests=st.lists(REQUEST, min_size=1, max_size=24),
    size=st.integers(1, 12),
    model=st.sampled_from(["RowWise", "AsyncRowWise", "NotRowWise"]),
)
def test_batching_is_invisible(requests: list[Any], size: int, model: str) -> None:
    """Random interleavings, row counts, feature counts and names: each request gets exactly
    the answer it gets without batching (rows, names, meta; a poisoned row its own error)."""

    async def main() -> tuple[list[Any], list[Any], list[int]]:
        plain = await loaded(class_path=f"batching_models:{model}")
        batching = await loaded(
            class_path=f"batching_models:{model}", max_batch_size=size, max_batch_latency_ms=2
        )
        alone = [await answer(plain, r, i) for i, r in enumerate(requests)]
        together = await asyncio.gather(*(answer(batching, r, i) for i, r in enumerate(requests)))
        assert batching.model is not None
        return alone, list(together), batching.model.obj.calls

    alone, together, calls = asyncio.run(main())
    assert together == alone
    assert max(calls) <= max(size, 4)  # a call takes at most N rows, or one larger request


def test_concurrent_requests_share_one_call() -> None:
    async def main() -> tuple[list[Any], list[int]]:
        plane = await loaded(class_path="batching_models:RowWise", max_batch_size=8)
        rows = [[[float(i), 1.0]] for i in range(6)]
        outs = await asyncio.gather(
            *(plane.predict(seldon(r, [], str(i))) for i, r in enumerate(rows))
        )
        assert plane.model is not None
        return [o["data"]["ndarray"].tolist() for o in outs], plane.model.obj.calls

    outs, calls = asyncio.run(main())
    assert calls == [1, 5]  # the first to an idle node calls at once; the others share one
    assert outs == [[[2 * i + 1.0, 3.0]] for i in range(6)]


def test_an_idle_node_calls_the_model_inline() -> None:
    """One client at a time: each request makes its own call in its own task, at once (no
    worker task, no queue wait), and every call is still recorded."""

    async def main() -> tuple[list[Any], list[tuple[int, list[float]]]]:
        observed: list[tuple[int, list[float]]] = []
        batcher = Batcher(8, 0.002, lambda rows, waits: observed.append((rows, waits)))
        seen: list[Any] = []
        keys: list[str] = []

        def key() -> str:
            keys.append("asked")
            return "k"

        async def run(arrays: tuple[np.ndarray, ...]) -> Any:
            seen.append(asyncio.current_task() is caller)
            return arrays[0] * 2

        answers = []
        for i in range(3):
            caller = asyncio.current_task()
            answers.append(await batcher.submit((np.full((i + 1, 2), float(i)),), run, key))
            for _ in range(4):  # a client's next request takes more loop turns than this
                await asyncio.sleep(0)
        return [seen, [a.tolist() for a in answers], keys], observed

    (own_task, answers, keys), observed = asyncio.run(main())
    assert keys == []  # no compatibility key for a request that never queues
    assert own_task == [True, True, True]
    assert answers == [[[0.0, 0.0]], [[2.0, 2.0]] * 2, [[4.0, 4.0]] * 3]
    assert observed == [(1, [0.0]), (2, [0.0]), (3, [0.0])]


@pytest.mark.parametrize("first_alone", [False, True], ids=["inline", "after-a-batch"])
def test_one_client_never_waits_the_batch_latency(first_alone: bool) -> None:
    """A sync model and one client that sends its next request the moment it has its answer,
    read from a socket in the next poll as the HTTP server does: no request waits
    `max_latency` (30 s here), after an inline call nor after a worker's batch. The settle
    windows used to queue it with that wait (40% of requests at c=1 took the 2 ms)."""

    async def main() -> list[int]:
        loop = asyncio.get_running_loop()
        calls: list[int] = []
        batcher = Batcher(8, 30.0, None)
        answers: list[Any] = []
        tasks: list[asyncio.Task[None]] = []
        done = loop.create_future()

        async def run(arrays: tuple[np.ndarray, ...]) -> Any:
            calls.append(arrays[0].shape[0])
            return arrays[0]

        def submit(value: float) -> Awaitable[Any]:
            return batcher.submit((np.full((1, 1), value),), run, same_key)

        async def handle(value: float) -> None:  # a server's handler task
            answers.append((await submit(value)).tolist())
            client.send(b"x")  # the answer is out: the client sends its next request at once

        def readable() -> None:  # the server reads the next request and starts its handler
            server.recv(1)
            if len(answers) < 6:
                tasks.append(loop.create_task(handle(float(len(answers)))))
            else:
                done.set_result(None)

        if first_alone:  # two at once: the second queues, so the client's next follows a worker
            await asyncio.gather(submit(-2.0), submit(-1.0))
        server, client = socket.socketpair()
        with server, client:
            loop.add_reader(server, readable)
            client.send(b"x")
            async with asyncio.timeout(5.0):
                await done
            loop.remove_reader(server)
        assert answers == [[[float(i)]] for i in range(6)]
        return calls

    assert asyncio.run(main())[-6:] == [1] * 6


@pytest.mark.parametrize("blocking", [False, True], ids=["async-model", "sync-model"])
def test_requests_arriving_during_an_inline_call_are_batched_after_it(blocking: bool) -> None:
    """The idle node's first request calls alone; those that arrive during its call (for a
    blocking model: in the loop turns right after it) queue and share the next call, which
    starts only once the first has ended. Only the queued ones compute their key."""

    async def main() -> list[str]:
        events: list[str] = []
        batcher = Batcher(8, 0.002, None)

        def key() -> str:
            events.append("key")
            return "k"

        async def run(arrays: tuple[np.ndarray, ...]) -> Any:
            rows = arrays[0].shape[0]
            events.append(f"start {rows}")
            if blocking:
                time.sleep(0.005)
            else:
                await asyncio.sleep(0.005)
            events.append(f"end {rows}")
            return arrays[0]

        def submit(value: float) -> Awaitable[Any]:
            return batcher.submit((np.full((1, 1), value),), run, key)

        first = asyncio.create_task(submit(0.0))
        if blocking:
            await asyncio.sleep(0)  # the first runs its (blocking) call in this turn
        else:
            await asyncio.sleep(0.001)  # the first's call is in flight
        later = [asyncio.create_task(submit(float(i))) for i in (1, 2, 3)]
        outs = await asyncio.gather(first, *later)
        assert [o.tolist() for o in outs] == [[[0.0]], [[1.0]], [[2.0]], [[3.0]]]
        return events

    events = asyncio.run(main())
    assert events.count("key") == 3  # the three that queued, not the inline one
    assert [e for e in events if e != "key"] == ["start 1", "end 1", "start 3", "end 3"]


def test_batching_off_calls_the_model_per_request() -> None:
    async def main() -> list[int]:
        plane = await loaded(class_path="batching_models:RowWise")
        await asyncio.gather(*(plane.predict(seldon([[1.0]], [], str(i))) for i in range(4)))
        assert plane.model is not None
        return list(plane.model.obj.calls)

    assert asyncio.run(main()) == [1, 1, 1, 1]


def test_an_error_in_one_request_leaves_the_others_intact() -> None:
    async def main() -> tuple[list[Any], list[int]]:
        plane = await loaded(class_path="batching_models:RowWise", max_batch_size=16)
        # an idle node's first request calls alone; the three after it are batched
        rows = [[[0.0, 0.0]], [[1.0, 2.0]], [[-1.0, 0.0]], [[3.0, 4.0], [5.0, 6.0]]]
        outs = await asyncio.gather(
            *(plane.predict(seldon(r, [], str(i))) for i, r in enumerate(rows)),
            return_exceptions=True,
        )
        assert plane.model is not None
        return list(outs), plane.model.obj.calls

    outs, calls = asyncio.run(main())
    assert calls == [1, 4, 1, 1, 2]  # the batch failed, then each request alone
    assert outs[0]["data"]["ndarray"].tolist() == [[1.0, 1.0]]
    assert outs[1]["data"]["ndarray"].tolist() == [[3.0, 5.0]]
    assert isinstance(outs[2], ModelError) and "poisoned row" in outs[2].message
    assert outs[3]["data"]["ndarray"].tolist() == [[7.0, 9.0], [11.0, 13.0]]


def test_incompatible_requests_go_in_their_own_calls() -> None:
    async def main() -> list[int]:
        plane = await loaded(class_path="batching_models:RowWise", max_batch_size=16)
        msgs = [seldon([[0.0, 0.0]], [], "first")]  # an idle node's first request calls alone
        msgs += [seldon([[1.0, 2.0]], [], "a"), seldon([[1.0, 2.0, 3.0]], [], "b")]
        msgs += [seldon([[1.0, 2.0]], ["x", "y"], "c"), seldon([[5.0, 6.0]], [], "d")]
        await asyncio.gather(*(plane.predict(m) for m in msgs))
        assert plane.model is not None
        return list(plane.model.obj.calls)

    assert asyncio.run(main()) == [1, 2, 1, 1]  # a+d together; b (3 features), c (names) alone


def test_cancelled_waiting_request_drops_its_rows() -> None:
    async def main() -> tuple[list[Any], list[int]]:
        plane = await loaded(
            class_path="batching_models:AsyncRowWise", max_batch_size=16, max_batch_latency_ms=5
        )
        first = asyncio.create_task(plane.predict(seldon([[1.0]], [], "first")))
        await asyncio.sleep(0.002)  # its call is in flight: the next ones queue
        waiting = [
            asyncio.create_task(plane.predict(seldon([[float(i)]] * i, [], str(i))))
            for i in (2, 3, 4)
        ]
        await asyncio.sleep(0)
        waiting[1].cancel()  # the client of the 3-row request goes away
        outs = await asyncio.gather(first, *waiting, return_exceptions=True)
        assert plane.model is not None
        return list(outs), plane.model.obj.calls

    outs, calls = asyncio.run(main())
    assert calls == [1, 6]  # 2 + 4 rows: the cancelled request's 3 rows were dropped
    assert isinstance(outs[2], asyncio.CancelledError)
    assert outs[1]["data"]["ndarray"].tolist() == [[5.0]] * 2
    assert outs[3]["data"]["ndarray"].tolist() == [[9.0]] * 4


def test_routers_and_undeclared_classes_do_not_batch() -> None:
    async def main() -> list[Any]:
        router = await loaded(type="ROUTER", implementation="RANDOM_ABTEST", max_batch_size=8)
        opt_out = await loaded(class_path="seldon_user_model:MyModel", max_batch_size=8)
        by_parameter = await loaded(
            class_path="seldon_user_model:MyModel",
            parameters={"batchable": True},
            max_batch_size=8,
        )
        return [p._predict for p in (router, opt_out, by_parameter)]

    router, opt_out, by_parameter = asyncio.run(main())
    assert getattr(router, "__self__", None) is not None  # the model's own predict
    assert getattr(opt_out, "__self__", None) is not None
    assert getattr(by_parameter, "__self__", None) is None  # the batching front


@pytest.mark.parametrize(
    ("out", "expected"),
    [
        (np.arange(6).reshape(3, 2), [[[0, 1]], [[2, 3], [4, 5]]]),
        ({"a": [1, 2, 3]}, [{"a": [1]}, {"a": [2, 3]}]),
    ],
)
def test_split_rows(out: Any, expected: list[Any]) -> None:
    parts = split_rows(out, [0, 1, 3])
    listed = [
        {k: v.tolist() for k, v in p.items()} if isinstance(p, dict) else p.tolist() for p in parts
    ]
    assert listed == expected


@pytest.mark.parametrize("out", [np.zeros((2, 2)), np.float64(1.0), "text"])
def test_split_rows_refuses_answers_that_are_not_row_wise(out: Any) -> None:
    with pytest.raises(ValueError, match="not 3 rows"):
        split_rows(out, [0, 1, 3])
