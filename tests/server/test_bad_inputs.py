"""The bad-input corpus (bad_inputs.py) against real servers: 400 / INVALID_ARGUMENT naming the
field, over REST and gRPC, from the component and from orchestrators of both protocols (whose
conversions, convert.py, decode the request again)."""

from __future__ import annotations

import contextlib
import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from bad_inputs import CORPUS, SELDON_PATH, Case, v2_path
from servers import Launch, start_component, start_orchestrator, write_graph

from infergraph_server.proto import inference_pb2 as pb
from infergraph_server.proto import prediction_pb2 as sp

pytestmark = pytest.mark.e2e_local

# front -> (V2 model name, Seldon gRPC method)
FRONTS = {
    "component": ("iris", "/seldon.protos.Model/Predict"),
    "orchestrator seldon": ("g", "/seldon.protos.Seldon/Predict"),
    "orchestrator v2": ("g", "/seldon.protos.Seldon/Predict"),
}


@pytest.fixture(scope="module")
def fronts(iris_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Launch]]:
    tmp = tmp_path_factory.mktemp("graphs")
    args = ["--name", "iris", "--implementation", "SKLEARN_SERVER", "--model-uri", str(iris_dir)]
    with contextlib.ExitStack() as stack:
        node = stack.enter_context(start_component(args))
        servers = {"component": node}
        for protocol in ("seldon", "v2"):
            graph = write_graph(tmp / f"{protocol}.json", node, protocol=protocol)
            servers[f"orchestrator {protocol}"] = stack.enter_context(start_orchestrator(graph))
        yield servers


def _message(body: bytes) -> str:
    doc = json.loads(body)
    return str(doc["error"] if "error" in doc else doc["status"]["info"])


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize("case", CORPUS, ids=lambda c: f"{c.protocol}: {c.name}")
def test_rest_answers_400_naming_the_field(
    fronts: dict[str, Launch], front: str, case: Case
) -> None:
    model, _ = FRONTS[front]
    body, headers = case.rest()
    conn = http.client.HTTPConnection("127.0.0.1", fronts[front].http_port, timeout=30)
    try:
        conn.request(
            "POST", SELDON_PATH if case.protocol == "seldon" else v2_path(model), body, headers
        )
        answer = conn.getresponse()
        status, text = answer.status, answer.read()
    finally:
        conn.close()
    assert status == 400, text
    assert case.says in _message(text)


@pytest.mark.parametrize("front", FRONTS)
@pytest.mark.parametrize(
    "case", [c for c in CORPUS if c.grpc], ids=lambda c: f"{c.protocol}: {c.name}"
)
def test_grpc_answers_invalid_argument_naming_the_field(
    fronts: dict[str, Launch], front: str, case: Case
) -> None:
    model, seldon_method = FRONTS[front]
    with grpc.insecure_channel(fronts[front].grpc_target) as channel:
        if case.protocol == "seldon":
            call = channel.unary_unary(
                seldon_method,
                request_serializer=sp.SeldonMessage.SerializeToString,
                response_deserializer=sp.SeldonMessage.FromString,
            )
            request = case.seldon_pb()
        else:
            call = channel.unary_unary(
                "/inference.GRPCInferenceService/ModelInfer",
                request_serializer=pb.ModelInferRequest.SerializeToString,
                response_deserializer=pb.ModelInferResponse.FromString,
            )
            request = case.v2_pb(model)
        with pytest.raises(grpc.RpcError) as failed:
            call(request, timeout=30)
    error: grpc.Call = failed.value  # type: ignore[assignment]
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
    assert case.says in (error.details() or "")
