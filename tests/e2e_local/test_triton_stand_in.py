"""A TRITON_SERVER node as the orchestrator calls it, with a V2 server of ours standing in for
Triton on loopback: Triton's image cannot run here (no image pull, no GPU).

What this proves: the runtime graph compiled from examples/triton.yaml sends the orchestrator
to the ports and readiness path that the rendered Triton container is given (its
`--http-port`/`--grpc-port` args, its readiness probe); the orchestrator probes the node at
`GET /v2/health/ready`, reads `GET /v2/models/iris` and predicts by `POST
/v2/models/iris/infer` (REST) or `ModelInfer` for model `iris` (gRPC), exactly the calls Triton
answers; tritonclient, Triton's own client, works against the orchestrator and the stand-in;
a node that stops answering its probe gets no more calls (503 naming it). What it does not:
that Triton itself answers these calls as our stand-in does (it implements the same Open
Inference Protocol, but it is not run).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import tritonclient.http as thttp
from loopback_http import QuietHandler, serving
from servers import start_component, start_orchestrator

from infergraph.compile import compile_values
from infergraph.loading import load

from .conftest import CLAIM
from .up import EXAMPLES

pytestmark = pytest.mark.e2e_local

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
GRPC_SCRIPT = Path(__file__).parents[1] / "triton_grpc.py"


@contextmanager
def recording_proxy(port: int) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """An HTTP/1.1 proxy on loopback to 127.0.0.1:`port`: (its port, every (method, path))."""
    seen: list[tuple[str, str]] = []

    class Forward(QuietHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            seen.append((self.command, self.path))
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            upstream = HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            upstream.request(self.command, self.path, body or None, headers)
            answer = upstream.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            upstream.close()

        do_GET = do_POST = _forward

    with serving(Forward) as bound:
        yield bound, seen


def _flag(args: list[str], name: str) -> int:
    return int(next(a for a in args if a.startswith(f"{name}=")).split("=", 1)[1])


def _compiled() -> tuple[Any, Any]:
    """(the runtime graph's Triton node, the rendered Triton container) of examples/triton.yaml."""
    predictor = compile_values(load(EXAMPLES / "triton.yaml"))["predictors"]["main"]
    runtime = json.loads(predictor["runtimeJson"])
    return runtime, predictor["nodes"]["iris"]["container"]


def _infer(port: int, model: str) -> tuple[int, str]:
    body = {"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64",
                        "data": ROWS[0].tolist()}]}  # fmt: skip
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v2/models/{model}/infer",
        json.dumps(body).encode(),
        {"content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _grpc(target: str, model: str) -> Any:
    done = subprocess.run(
        [sys.executable, str(GRPC_SCRIPT), target, model, json.dumps(ROWS.tolist())],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def test_the_runtime_node_points_where_the_triton_container_listens() -> None:
    runtime, container = _compiled()
    node = runtime["root"]
    assert (runtime["protocol"], node["protocol"], node["implementation"]) == (
        "v2",
        "v2",
        "TRITON_SERVER",
    )
    assert node["httpPort"] == _flag(container["args"], "--http-port")
    assert node["grpcPort"] == _flag(container["args"], "--grpc-port")
    assert node["readinessPath"] == container["readinessProbe"]["httpGet"]["path"]
    assert node["readinessPath"] == "/v2/health/ready"


@pytest.mark.parametrize("transport", ["rest", "grpc"])
def test_the_orchestrator_calls_the_triton_node_by_v2(
    workdir: Path, tmp_path: Path, transport: str
) -> None:
    runtime, _ = _compiled()
    graph = runtime["graph"]
    model_dir = workdir / CLAIM / "iris"
    expected = joblib.load(model_dir / "model.joblib").predict_proba(ROWS)
    stand_in_args = ["--name", "iris", "--implementation", "SKLEARN_SERVER",
                     "--model-uri", str(model_dir)]  # fmt: skip
    with (
        start_component(stand_in_args) as stand_in,
        recording_proxy(stand_in.http_port) as (proxy_port, seen),
    ):
        root = {**runtime["root"], "host": "127.0.0.1", "httpPort": proxy_port,
                "grpcPort": stand_in.grpc_port}  # fmt: skip
        path = tmp_path / "graph.json"
        path.write_text(json.dumps({**runtime, "transport": transport, "root": root}))
        with start_orchestrator(path) as orchestrator:
            # readiness as the orchestrator probes it, and the node's V2 metadata
            assert ("GET", "/v2/health/ready") in seen and ("GET", "/v2/models/iris") in seen
            client = thttp.InferenceServerClient(f"127.0.0.1:{orchestrator.http_port}")
            assert client.is_server_ready() and client.is_model_ready(graph)
            tensor = thttp.InferInput("input-0", list(ROWS.shape), "FP64")
            tensor.set_data_from_numpy(ROWS)
            through = client.infer(graph, [tensor]).as_numpy("predict_proba")
            client.close()
            over_grpc = _grpc(orchestrator.grpc_target, graph)
            if transport == "rest":
                assert seen.count(("POST", "/v2/models/iris/infer")) == 2
            else:  # ModelInfer goes to the gRPC port, past the HTTP proxy
                assert ("POST", "/v2/models/iris/infer") not in seen
            direct = thttp.InferenceServerClient(f"127.0.0.1:{stand_in.http_port}")
            metadata = direct.get_model_metadata("iris")
            alone = direct.infer("iris", [tensor]).as_numpy("predict_proba")
            direct.close()

            stand_in.stop()  # the node stops answering its readiness probe
            deadline = time.monotonic() + 10
            while (answer := _infer(orchestrator.http_port, graph))[0] != 503:
                assert time.monotonic() < deadline, answer
                time.sleep(0.1)
    np.testing.assert_allclose(through, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(over_grpc["predict_proba"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(alone, expected, rtol=0, atol=1e-12)
    assert metadata["name"] == "iris" and metadata["outputs"][0]["name"] == "predict_proba"
    # the first call after it stopped may find it gone before its probes mark it not ready
    error = json.loads(answer[1])["error"]
    assert error.startswith(("node 'iris' is not ready", "node 'iris' is unreachable")), answer
