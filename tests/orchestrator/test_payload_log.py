"""Payload logging in the executor: the real executor and event senders, nodes in process,
CloudEvents received by a real HTTP server on loopback in the same event loop."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import orjson
import pytest
from prometheus_client import REGISTRY
from runtime_graph import graph_doc, node

from infergraph_server.http import HttpServer, Request, Response, Router
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.graph import GraphError, parse_graph
from infergraph_server.orchestrator.payload_log import REQUEST, RESPONSE, PayloadLog
from infergraph_server.orchestrator.transport import InProcessTransport
from infergraph_server.orchestrator.transport import Response as NodeResponse

Message = dict[str, Any]
ROW = {"data": {"ndarray": [[1.0, 2.0]]}}


class Receiver:
    """Answers each POST with the next status of `statuses` (then 202) and keeps it."""

    def __init__(self, *statuses: int, delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.events: list[tuple[dict[str, str], bytes]] = []
        router = Router()
        router.post("/log", self.receive)
        self.server = HttpServer(router)
        self.port = 0

    async def receive(self, request: Request) -> Response:
        self.events.append((dict(request.headers), request.body))
        if self.delay:
            await asyncio.sleep(self.delay)
        return Response(b"", self.statuses.pop(0) if self.statuses else 202)

    async def __aenter__(self) -> Receiver:
        self.port = await self.server.start("127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.server.shutdown(0)


def recording(answers: dict[str, Message], bodies: dict[str, list[tuple[bytes, bytes]]]) -> Any:
    """In-process nodes answering `answers[name]`, keeping (request, answer) bodies."""

    def handler(name: str) -> Any:
        async def handle(path: str, body: bytes) -> NodeResponse:
            answer = orjson.dumps(answers[name])
            bodies.setdefault(name, []).append((body, answer))
            return NodeResponse(200, answer)

        return handle

    return InProcessTransport({name: handler(name) for name in answers})


def logged(
    predictor: str, url: str, modes: dict[str, str], **settings: Any
) -> tuple[Any, dict[str, Any]]:
    """(graph, its `logging`): transformer `pre` -> combiner `avg` over models `a`, `b`."""

    def logger(name: str) -> Any:
        return {"mode": modes[name], "url": url} if name in modes else None

    def model(name: str) -> Message:
        return node(name, logger=logger(name))

    avg = node("avg", "COMBINER", model("a"), model("b"), logger=logger("avg"))
    root = node("pre", "TRANSFORMER", avg, logger=logger("pre"))
    logging = {
        "sampleRate": 1.0,
        "queueSize": 100,
        "senders": 2,
        "retries": 2,
        "backoffMs": 1,
        "timeoutMs": 1000,
        "source": "http://g-main:9000/",
        **settings,
    }
    doc = {**graph_doc(root), "predictor": predictor, "logging": logging}
    runtime = parse_graph(doc)
    assert runtime.logging is not None
    return runtime, logging


ANSWERS = {
    "pre": {"data": {"ndarray": [[2.0, 4.0]]}},
    "a": {"data": {"ndarray": [[1.0]]}, "meta": {"tags": {"a": 1}}},
    "b": {"data": {"ndarray": [[3.0]]}},
    "avg": {"data": {"ndarray": [[2.0]]}},
}


def counted(name: str, predictor: str, **labels: str) -> float:
    value = REGISTRY.get_sample_value(name, {"predictor": predictor, **labels})
    return value or 0.0


async def settle(log: PayloadLog, count: int, events: list[Any]) -> None:
    for _ in range(400):
        if len(events) >= count and log.queue.empty():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    await log.aclose()


def test_each_node_logs_the_bytes_it_received_and_returned_in_its_mode() -> None:
    async def scenario() -> None:
        async with Receiver() as receiver:
            url = f"http://127.0.0.1:{receiver.port}/log"
            modes = {"pre": "all", "avg": "request", "b": "response"}
            runtime, _ = logged("t-bytes", url, modes)
            log = PayloadLog(runtime, runtime.logging, "models")
            bodies: dict[str, list[tuple[bytes, bytes]]] = {}
            executor = Executor(runtime, recording(ANSWERS, bodies), log=log)
            out = await executor.predict(dict(ROW))
            await executor.feedback({"response": out, "reward": 1})  # feedback is not logged
            await settle(log, 4, receiver.events)
            got = {(h["ce-modelid"], h["ce-type"]): (h, body) for h, body in receiver.events}
            assert len(receiver.events) == 4
            assert sorted(got) == [
                ("avg", REQUEST),
                ("b", RESPONSE),
                ("pre", REQUEST),
                ("pre", RESPONSE),
            ]
            assert got[("pre", REQUEST)][1] == bodies["pre"][0][0]
            assert got[("pre", RESPONSE)][1] == bodies["pre"][0][1]
            assert got[("avg", REQUEST)][1] == bodies["avg"][0][0]
            assert orjson.loads(bodies["avg"][0][0])["seldonMessages"][1] == ANSWERS["b"]
            assert got[("b", RESPONSE)][1] == bodies["b"][0][1]
            puid = out["meta"]["puid"]
            for headers, _ in receiver.events:
                assert headers["ce-specversion"] == "1.0"
                assert headers["ce-requestid"] == puid
                assert headers["ce-source"] == "http://g-main:9000/"
                assert headers["ce-inferenceservicename"] == "g"
                assert headers["ce-namespace"] == "models"
                assert headers["ce-endpoint"] == "t-bytes"
                assert headers["ce-protocol"] == "seldon"
                assert headers["content-type"] == "application/json"
            assert len({h["ce-id"] for h, _ in receiver.events}) == 4
            assert counted("infergraph_log_events_sent_total", "t-bytes") == 4

    asyncio.run(scenario())


def test_a_full_queue_drops_and_counts_without_slowing_predictions() -> None:
    async def scenario() -> None:
        async with Receiver(delay=5) as receiver:  # holds every event far longer than a call
            url = f"http://127.0.0.1:{receiver.port}/log"
            runtime, _ = logged("t-full", url, {"a": "all"}, queueSize=2, senders=1)
            log = PayloadLog(runtime, runtime.logging, "")
            executor = Executor(runtime, recording(ANSWERS, {}), log=log)
            async with asyncio.timeout(2):  # far less than the receiver's 5 s per event
                for _ in range(10):
                    assert (await executor.predict(dict(ROW)))["data"] == ANSWERS["avg"]["data"]
            # 20 events: 2 queued, one in the sender's hands once it has run, the rest dropped
            dropped = counted("infergraph_log_events_dropped_total", "t-full", reason="queue_full")
            assert dropped in (17, 18)
            await log.aclose()

    asyncio.run(scenario())


def test_failed_posts_are_retried_with_backoff_then_counted() -> None:
    async def scenario() -> None:
        async with Receiver(503, 503, 400) as receiver:
            url = f"http://127.0.0.1:{receiver.port}/log"
            runtime, _ = logged("t-retry", url, {"a": "request"}, senders=1, retries=3)
            log = PayloadLog(runtime, runtime.logging, "")
            executor = Executor(runtime, recording(ANSWERS, {}), log=log)
            await executor.predict(dict(ROW))  # 503, 503, then 202: sent on the third try
            await executor.predict(dict(ROW))  # 400: refused, not retried
            await settle(log, 4, receiver.events)
            assert len(receiver.events) == 4
            assert len({h["ce-id"] for h, _ in receiver.events[:3]}) == 1  # one event, resent
            assert counted("infergraph_log_events_sent_total", "t-retry") == 1
            labels = {"reason": "undeliverable"}
            assert counted("infergraph_log_events_dropped_total", "t-retry", **labels) == 1

    asyncio.run(scenario())


def test_a_receiver_that_is_down_costs_predictions_nothing() -> None:
    async def scenario() -> None:
        async with Receiver() as receiver:
            url = f"http://127.0.0.1:{receiver.port}/log"
        # the receiver has stopped: every POST is refused
        runtime, _ = logged("t-down", url, {"pre": "all"}, senders=1, retries=1)
        log = PayloadLog(runtime, runtime.logging, "")
        executor = Executor(runtime, recording(ANSWERS, {}), log=log)
        for _ in range(3):
            assert (await executor.predict(dict(ROW)))["data"] == ANSWERS["avg"]["data"]
        labels = {"reason": "undeliverable"}
        for _ in range(200):
            if counted("infergraph_log_events_dropped_total", "t-down", **labels) == 6:
                break
            await asyncio.sleep(0.01)
        assert counted("infergraph_log_events_dropped_total", "t-down", **labels) == 6
        await log.aclose()

    asyncio.run(scenario())


def test_sampling_logs_all_of_a_request_or_none_of_it() -> None:
    async def scenario() -> None:
        async with Receiver() as receiver:
            url = f"http://127.0.0.1:{receiver.port}/log"
            runtime, _ = logged("t-sample", url, {"pre": "all", "a": "all"}, sampleRate=0.5)
            log = PayloadLog(runtime, runtime.logging, "")
            executor = Executor(runtime, recording(ANSWERS, {}), log=log)
            random.seed(7)
            puids = [(await executor.predict(dict(ROW)))["meta"]["puid"] for _ in range(40)]
            await asyncio.sleep(0.3)
            await settle(log, 0, receiver.events)
            per_request: dict[str, int] = {}
            for headers, _ in receiver.events:
                per_request[headers["ce-requestid"]] = (
                    per_request.get(headers["ce-requestid"], 0) + 1
                )
            assert set(per_request.values()) == {4}
            assert set(per_request) < set(puids)
            assert 8 <= len(per_request) <= 32  # about half of 40

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("logger", "message"),
    [
        ({"mode": "some", "url": "http://x/"}, "/root/logger/mode: 'some' is not valid"),
        ({"mode": "all", "url": "sink"}, "/root/logger/url: 'sink' is not valid"),
        # the generator's URL check (its server copy): urlsplit takes these, the sender could not
        ({"mode": "all", "url": "http://x:99999/"}, "/root/logger/url: 'http://x:99999/' is not"),
        ({"mode": "all", "url": "http://a b/"}, "/root/logger/url: 'http://a b/' is not valid"),
        ({"mode": "all"}, "/root/logger/url: missing"),
    ],
)
def test_runtime_loggers_are_checked(logger: Message, message: str) -> None:
    doc = {**graph_doc(node("clf", logger=logger))}
    with pytest.raises(GraphError, match=message):
        parse_graph(doc)
