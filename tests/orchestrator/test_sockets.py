"""The orchestrator and the gateway over real loopback sockets, in one event loop.

Node servers here are small Seldon-protocol apps on the component server's HTTP core; the
orchestrator and gateway are the real services on the same core.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from infergraph_server.gateway import GatewayService
from infergraph_server.http import HttpClient, HttpServer, Request, Response, Router
from infergraph_server.orchestrator.service import OrchestratorService
from infergraph_server.settings import GatewaySettings, OrchestratorSettings

from .nodes import node, with_protocols

Message = dict[str, Any]


def seldon_app(factor: float, seen: list[str] | None = None) -> Router:
    """A node multiplying the ndarray by `factor`, healthy on both probe paths."""

    async def predict(request: Request) -> Response:
        if seen is not None:
            seen.append(request.path)
        msg = orjson.loads(request.body)
        rows = [[v * factor for v in row] for row in msg["data"]["ndarray"]]
        return Response(orjson.dumps({"data": {"ndarray": rows}, "meta": {"tags": {"f": factor}}}))

    async def ok(_: Request) -> Response:
        return Response(b"{}")

    router = Router()
    router.post("/predict", predict)
    router.get("/health/ping", ok)
    router.get("/v2/health/ready", ok)
    return router


async def start(router: Router) -> tuple[HttpServer, int]:
    server = HttpServer(router)
    return server, await server.start("127.0.0.1", 0)


def write_graph(tmp: Path, name: str, root: Message) -> str:
    path = tmp / f"{name}.json"
    doc = {
        "graph": "g",
        "predictor": name,
        "protocol": "seldon",
        "transport": "rest",
        "maxConcurrency": 64,
        "maxBodyBytes": 1 << 20,
        "probePeriodMs": 50,
        "logging": None,
        "root": with_protocols(root, "seldon"),
    }
    path.write_text(json.dumps(doc))
    return str(path)


async def orchestrator(graph_file: str) -> tuple[OrchestratorService, HttpServer, int]:
    service = OrchestratorService(OrchestratorSettings(graph=graph_file))
    await asyncio.wait_for(service.startup(), 5)
    service.ready = True
    server, port = await start(service.router)
    return service, server, port


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_orchestrator_serves_a_chain_over_http(tmp_path: Path) -> None:
    async def scenario() -> None:
        a, a_port = await start(seldon_app(2))
        b, b_port = await start(seldon_app(5))
        root = node("a", "MODEL", node("b", httpPort=b_port), httpPort=a_port)
        service, orch, port = await orchestrator(write_graph(tmp_path, "main", root))
        client = HttpClient("127.0.0.1", port)
        body = orjson.dumps({"data": {"ndarray": [[1.0, 2.0]]}})
        answers = [await client.request("POST", "/api/v1.0/predictions", body) for _ in range(3)]
        out = orjson.loads(answers[-1].body)
        assert out["data"]["ndarray"] == [[10.0, 20.0]]
        assert out["meta"]["requestPath"] == {"a": "example/a:1", "b": "example/b:1"}
        assert out["meta"]["tags"] == {"f": 5}
        ready = await client.request("GET", "/v2/health/ready")
        assert ready.status == 200
        bad = await client.request("POST", "/api/v1.0/predictions", b"{nope")
        assert bad.status == 400
        assert orjson.loads(bad.body)["status"]["info"].startswith("request body is not JSON")
        await b.shutdown(0)  # node b goes away: the answer names it, fast
        started = asyncio.get_running_loop().time()
        down = await client.request("POST", "/api/v1.0/predictions", body)
        assert asyncio.get_running_loop().time() - started < 1.0
        assert down.status == 503
        assert "node 'b' is unreachable" in orjson.loads(down.body)["status"]["info"]
        await client.close()
        await service.shutdown()
        for server in (a, orch):
            await server.shutdown(0)

    run(scenario)


def test_gateway_splits_by_weight_and_mirrors_to_the_shadow(tmp_path: Path) -> None:
    async def scenario() -> None:
        shadow_seen: list[str] = []
        nodes = [await start(seldon_app(f, shadow_seen if f == 3 else None)) for f in (1, 2, 3)]
        orchestrators = [
            await orchestrator(write_graph(tmp_path, name, node(name, httpPort=port)))
            for name, (_, port) in zip(("a", "b", "s"), nodes, strict=True)
        ]
        config = {
            "predictors": [
                {
                    "name": name,
                    "host": "127.0.0.1",
                    "port": port,
                    "traffic": traffic,
                    "shadow": name == "s",
                    "mirrorPercent": None,
                }
                for name, (_, _, port), traffic in zip(
                    "abs", orchestrators, (75, 25, 0), strict=True
                )
            ]
        }
        (tmp_path / "gw.json").write_text(json.dumps(config))
        gateway = GatewayService(GatewaySettings(config=str(tmp_path / "gw.json"), seed=7))
        gw_server, gw_port = await start(gateway.router)
        client = HttpClient("127.0.0.1", gw_port)
        body = orjson.dumps({"data": {"ndarray": [[1.0]]}})
        seen: collections.Counter[str] = collections.Counter()
        for _ in range(2000):
            answer = await client.request("POST", "/api/v1.0/predictions", body)
            assert answer.status == 200
            predictor = answer.headers["x-infergraph-predictor"]
            value = orjson.loads(answer.body)["data"]["ndarray"][0][0]
            assert value == {"a": 1.0, "b": 2.0}[predictor]
            seen[predictor] += 1
        assert abs(seen["a"] / 2000 - 0.75) <= 0.04
        assert set(seen) == {"a", "b"}
        for _ in range(100):
            if len(shadow_seen) == 2000:
                break
            await asyncio.sleep(0.02)
        assert len(shadow_seen) == 2000
        await client.close()
        for service, server, _ in orchestrators:
            await service.shutdown()
            await server.shutdown(0)
        for server, _ in nodes:
            await server.shutdown(0)
        await gw_server.shutdown(0)

    run(scenario)


def test_gateway_answers_head_like_get_and_expect_100_continue(tmp_path: Path) -> None:
    """HEAD used to wait for a body that never comes (60 s, then 503); `expect` used to be
    forwarded, so the orchestrator's 100 Continue came back as the gateway's answer."""

    async def scenario() -> None:
        node_server, node_port = await start(seldon_app(2))
        service, orch_server, orch_port = await orchestrator(
            write_graph(tmp_path, "a", node("a", httpPort=node_port))
        )
        upstream = {"name": "a", "host": "127.0.0.1", "port": orch_port, "traffic": 100}
        config = {"predictors": [{**upstream, "shadow": False, "mirrorPercent": None}]}
        (tmp_path / "gw.json").write_text(json.dumps(config))
        gateway = GatewayService(GatewaySettings(config=str(tmp_path / "gw.json")))
        gw_server, gw_port = await start(gateway.router)
        client = HttpClient("127.0.0.1", gw_port, timeout=5)
        for path in ("/health/ping", "/v2/health/ready", "/v2/models/a", "/v2"):
            get = await client.request("GET", path)
            head = await client.request("HEAD", path)
            assert (head.status, head.body) == (get.status, b""), path
            assert head.headers["content-length"] == str(len(get.body)) != "0", path
        reader, writer = await asyncio.open_connection("127.0.0.1", gw_port)
        body = orjson.dumps({"data": {"ndarray": [[1.0]]}})
        writer.write(b"POST /api/v1.0/predictions HTTP/1.1\r\nexpect: 100-continue\r\n"
                     b"content-length: %d\r\n\r\n" % len(body))  # fmt: skip
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(body)
        head_block = await reader.readuntil(b"\r\n\r\n")
        assert head_block.startswith(b"HTTP/1.1 200")
        writer.close()
        await client.close()
        await service.executor.transport.aclose()
        for server in (gw_server, orch_server, node_server):
            await server.shutdown(0)

    run(scenario)
