"""`infergraph-server logsink`: events filed as JSON Lines per graph, node and day; bad ones
refused with a reason. The service's own router, real files, no sockets."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from infergraph_server.http import Request, Response
from infergraph_server.logsink import LogSinkService, LogSinkSettings

HEADERS = {
    "ce-specversion": "1.0",
    "ce-id": "e-1",
    "ce-type": "io.seldon.serving.inference.request",
    "ce-source": "http://iris-main:9000/",
    "ce-requestid": "p-1",
    "ce-modelid": "clf",
    "ce-inferenceservicename": "iris",
    "ce-namespace": "models",
    "ce-endpoint": "main",
    "content-type": "application/json",
}
BODY = b'{"data":{"ndarray":[[5.1,3.5,1.4,0.2]]}}'


def post(tmp_path: Path, *requests: tuple[dict[str, str], bytes]) -> list[Response]:
    async def scenario() -> list[Response]:
        service = LogSinkService(LogSinkSettings(directory=str(tmp_path / "logs"), grpc_port=0))
        await service.startup()
        handler, _, _ = service.router.match("POST", "/")
        assert handler is not None
        out = [await handler(Request("POST", "/", "", h, b)) for h, b in requests]
        await service.shutdown()
        return out

    return asyncio.run(scenario())


def test_binary_and_structured_events_go_to_one_file_per_graph_node_and_day(
    tmp_path: Path,
) -> None:
    structured = {
        "specversion": "1.0",
        "id": "e-2",
        "type": "io.seldon.serving.inference.response",
        "source": "x",
        "modelid": "clf",
        "inferenceservicename": "iris",
        "data": {"data": {"ndarray": [[1]]}},
    }
    other = {**HEADERS, "ce-modelid": "other"}
    head = {"content-type": "application/cloudevents+json"}
    answers = post(
        tmp_path, (HEADERS, BODY), (head, json.dumps(structured).encode()), (other, BODY)
    )
    assert [a.status for a in answers] == [202, 202, 202]
    day = time.strftime("%Y-%m-%d", time.gmtime())
    lines = (tmp_path / "logs/iris/clf" / f"{day}.jsonl").read_text().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["data"] == json.loads(BODY)
    assert {k: first[k] for k in ("id", "requestid", "namespace", "endpoint")} == {
        "id": "e-1",
        "requestid": "p-1",
        "namespace": "models",
        "endpoint": "main",
    }
    assert (second["id"], second["data"]) == ("e-2", {"data": {"ndarray": [[1]]}})
    assert (tmp_path / "logs/iris/other" / f"{day}.jsonl").read_text().count("\n") == 1


def test_events_that_cannot_be_filed_are_refused_naming_why(tmp_path: Path) -> None:
    escape = {**HEADERS, "ce-modelid": "../../etc"}
    nameless = {k: v for k, v in HEADERS.items() if k != "ce-inferenceservicename"}
    answers = post(tmp_path, (escape, BODY), (nameless, BODY), ({}, b"plain"))
    assert [a.status for a in answers] == [400, 400, 400]
    reasons = [json.loads(a.body)["error"] for a in answers]
    assert reasons[0] == ("ce-modelid '../../etc' is not a node name; expected a DNS-1123 label")
    assert (
        reasons[1] == "ce-inferenceservicename None is not a graph name; expected a DNS-1123 label"
    )
    assert reasons[2].startswith("not a CloudEvent: ")
    assert not any((tmp_path / "logs").iterdir())
