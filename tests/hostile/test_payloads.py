"""Hostile payloads against real processes on 127.0.0.1: memory amplification and bad input.

A 216-byte V2 request declaring a BYTES tensor of shape [1e8] once made each server that
decoded it allocate ~800 MB before answering 400. Here it goes to a component server over
REST and gRPC and through an orchestrator (REST and gRPC), and the whole bad-input corpus
goes through a real gateway (`infergraph up`); every process's peak RSS may grow by less
than 64 MiB. Peaks are read from /proc/PID/status (VmHWM) after resetting them through
/proc/PID/clear_refs, so each request is measured on its own.
"""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from servers import (
    Launch,
    start_component,
    start_orchestrator,
    write_graph,
)
from train_iris import train

from infergraph_server.proto import inference_pb2 as pb
from tests.e2e_local.up import Up
from tests.server.bad_inputs import AMPLIFY, CORPUS, SELDON_PATH, v2_path

pytestmark = pytest.mark.e2e_local

GROWTH_LIMIT = 64 << 20
MODEL = "build/volumes/infergraph-models/iris"  # where sklearn-single.yaml's pvc:// resolves


def peak_rss(pid: int) -> int:
    """VmHWM of `pid` in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmHWM in /proc/{pid}/status")


def reset_peak(pid: int) -> int:
    """Reset VmHWM to the current RSS (proc(5): clear_refs 5) and return it."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return peak_rss(pid)


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body, headers)
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def infer_grpc(server: Launch, model: str) -> grpc.StatusCode:
    with grpc.insecure_channel(server.grpc_target) as channel:
        call = channel.unary_unary(
            "/inference.GRPCInferenceService/ModelInfer",
            request_serializer=pb.ModelInferRequest.SerializeToString,
            response_deserializer=pb.ModelInferResponse.FromString,
        )
        try:
            call(AMPLIFY.v2_pb(model), timeout=30)
        except grpc.RpcError as exc:
            return exc.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    train(root / MODEL)
    return root


@pytest.fixture(scope="module")
def servers(workdir: Path) -> Iterator[tuple[Launch, Launch]]:
    """A SKLEARN_SERVER node `iris` and an orchestrator (graph `g`) in front of it."""
    args = [
        "--name",
        "iris",
        "--implementation",
        "SKLEARN_SERVER",
        "--model-uri",
        str(workdir / MODEL),
    ]
    with contextlib.ExitStack() as stack:
        node = stack.enter_context(start_component(args))
        graph = write_graph(workdir / "graph.json", node)
        yield node, stack.enter_context(start_orchestrator(graph))


@pytest.mark.parametrize("target", ["component", "orchestrator"])
@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_declared_bytes_shape_allocates_nothing(
    servers: tuple[Launch, Launch], target: str, protocol: str
) -> None:
    node, orchestrator = servers
    server, model = (node, "iris") if target == "component" else (orchestrator, "g")
    body, headers = AMPLIFY.rest()
    assert len(body) < 256
    before = reset_peak(server.proc.pid)
    if protocol == "rest":
        status, text = post(server.http_port, v2_path(model), body, headers)
    else:
        code = infer_grpc(server, model)
    growth = peak_rss(server.proc.pid) - before
    assert growth < GROWTH_LIMIT, f"{target} peak RSS grew {growth >> 20} MiB"
    if protocol == "rest":
        assert status == 400 and AMPLIFY.says.encode() in text, text
    else:
        assert code == grpc.StatusCode.INVALID_ARGUMENT


def test_bad_input_corpus_through_the_gateway(workdir: Path) -> None:
    """Every corpus request through `infergraph up`: a 400 naming the field from the gateway,
    and no process of the graph grows its peak RSS by 64 MiB."""
    with Up("sklearn-single.yaml", workdir) as up:
        pids = {name: pid for name, pid in up.pids.items()}
        before = {name: reset_peak(pid) for name, pid in pids.items()}
        for case in CORPUS:
            body, headers = case.rest()
            path = SELDON_PATH if case.protocol == "seldon" else v2_path("iris")
            status, text = post(up.port, path, body, headers)
            doc = json.loads(text)
            message = doc["error"] if "error" in doc else doc["status"]["info"]
            assert status == 400 and case.says in message, (case.name, status, text)
        for name, pid in pids.items():
            growth = peak_rss(pid) - before[name]
            assert growth < GROWTH_LIMIT, f"{name} peak RSS grew {growth >> 20} MiB"
