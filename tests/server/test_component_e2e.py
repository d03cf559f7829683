"""The component server as a real process: every endpoint, real clients, lifecycle."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as thttp
from conftest import IRIS_ROW
from servers import Launch, start_component

from infergraph_server.settings import NODE_BODY_HEADROOM

pytestmark = pytest.mark.e2e_local
HERE = Path(__file__).parent


def call(srv: Launch, path: str, body: Any = None, raw: bytes | None = None,
         method: str | None = None) -> tuple[int, Any]:  # fmt: skip
    """(status, parsed JSON or text) of one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(srv.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode()


ROW = {"data": {"names": ["a", "b", "c", "d"], "ndarray": [IRIS_ROW]}}


@pytest.mark.parametrize("path", ["/predict", "/api/v1.0/predictions"])
def test_seldon_predict(sklearn_server: Launch, path: str) -> None:
    status, body = call(sklearn_server, path, ROW)
    assert status == 200
    assert body["data"]["names"] == ["t:0", "t:1", "t:2"]
    assert np.argmax(body["data"]["ndarray"][0]) == 0


def test_seldon_tensor_form_and_form_encoding(sklearn_server: Launch) -> None:
    msg = {"data": {"tensor": {"shape": [1, 4], "values": IRIS_ROW}}}
    status, body = call(sklearn_server, "/predict", msg)
    assert status == 200 and body["data"]["tensor"]["shape"] == [1, 3]
    form = urllib.parse.urlencode({"json": json.dumps(ROW)}).encode()
    status, body = call(sklearn_server, "/predict", raw=form)
    assert status == 200 and len(body["data"]["ndarray"][0]) == 3


@pytest.mark.parametrize(
    ("raw", "status", "says"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"data": {"ndarray": [[1.0, 2.0]]}}', 400, "expected [rows, 4]"),
        (b'{"data": {"ndarray": [[1, 2], [3]]}}', 400, "rows of different lengths"),
        (b'{"meta": {}}', 400, "needs one of data"),
        (b"", 400, "body is empty"),
    ],
)
def test_seldon_bad_input(sklearn_server: Launch, raw: bytes, status: int, says: str) -> None:
    got, body = call(sklearn_server, "/predict", raw=raw, method="POST")
    assert got == status
    assert body["status"]["status"] == "FAILURE" and says in body["status"]["info"]


def test_health_metadata_and_v2_endpoints(sklearn_server: Launch) -> None:
    assert call(sklearn_server, "/health/ping") == (200, "pong")
    assert call(sklearn_server, "/health/status")[0] == 200
    assert call(sklearn_server, "/metadata")[1]["platform"] == "sklearn"
    assert call(sklearn_server, "/v2/health/live") == (200, {"live": True})
    assert call(sklearn_server, "/v2/health/ready") == (200, {"ready": True})
    assert call(sklearn_server, "/v2")[1]["name"] == "infergraph-server"
    assert call(sklearn_server, "/v2/models/iris")[1]["outputs"][0]["name"] == "predict_proba"
    assert call(sklearn_server, "/v2/models/iris/ready") == (200, {"ready": True})
    assert call(sklearn_server, "/v2/models/nope/ready")[0] == 404
    status, body = call(sklearn_server, "/v2/models/nope/infer", {"inputs": []})
    assert status == 404 and "nope" in body["error"]
    assert call(sklearn_server, "/nowhere")[0] == 404


def test_v2_infer_json(sklearn_server: Launch) -> None:
    req = {
        "id": "r1",
        "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": IRIS_ROW}],
    }
    status, body = call(sklearn_server, "/v2/models/iris/infer", req)
    assert status == 200 and body["id"] == "r1" and body["model_name"] == "iris"
    assert body["outputs"][0]["shape"] == [1, 3] and body["outputs"][0]["datatype"] == "FP64"
    req["inputs"][0]["shape"] = [1, 3]
    status, body = call(sklearn_server, "/v2/models/iris/infer", req)
    assert status == 400 and "needs 3 values, got 4" in body["error"]


def test_body_limit_413(iris_dir: Path) -> None:
    """A node reads the orchestrator's headroom beyond its limit, and not a byte more."""
    args = ["--implementation", "SKLEARN_SERVER", "--model-uri", str(iris_dir)]
    accepted = 200 + NODE_BODY_HEADROOM
    with start_component([*args, "--name", "iris", "--max-body-bytes", "200"]) as srv:
        status, body = call(srv, "/predict", raw=b"{" + b" " * (accepted - 1) + b"}")
        assert status == 413 and f"{accepted} bytes" in body["error"]
        padded = json.dumps(ROW).encode()
        padded = padded[:-1] + b" " * (accepted - len(padded)) + b"}"
        assert call(srv, "/predict", raw=padded)[0] == 200


def test_tritonclient_http(sklearn_server: Launch) -> None:
    client = thttp.InferenceServerClient(f"127.0.0.1:{sklearn_server.http_port}")
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready("iris")
    x = np.array([IRIS_ROW, [6.7, 3.0, 5.2, 2.3]])
    inp = thttp.InferInput("input-0", list(x.shape), "FP64")
    inp.set_data_from_numpy(x)
    binary = client.infer("iris", [inp], request_id="7")
    assert binary.get_response()["id"] == "7"
    assert binary.as_numpy("predict_proba").argmax(axis=1).tolist() == [0, 2]
    inp.set_data_from_numpy(x, binary_data=False)
    as_json = client.infer(
        "iris", [inp], outputs=[thttp.InferRequestedOutput("predict_proba", binary_data=False)]
    )
    np.testing.assert_allclose(as_json.as_numpy("predict_proba"), binary.as_numpy("predict_proba"))
    assert client.get_model_metadata("iris")["name"] == "iris"


def _in_child(*args: str) -> Any:
    """Run a script in a child process and parse its JSON output.

    tritonclient.grpc and our inference_pb2 both define protobuf package `inference` in the
    default descriptor pool, so no one process may import both.
    """
    done = subprocess.run([sys.executable, *args], capture_output=True, check=True, timeout=60)
    return json.loads(done.stdout)


def test_tritonclient_grpc(sklearn_server: Launch) -> None:
    rows = [IRIS_ROW, [6.7, 3.0, 5.2, 2.3]]
    script = HERE.parent / "triton_grpc.py"
    got = _in_child(str(script), sklearn_server.grpc_target, "iris", json.dumps(rows))
    assert got["ready"] and got["id"] == "9"
    assert np.array(got["predict_proba"]).argmax(axis=1).tolist() == [0, 2]
    assert "not served here" in got["unknown"]


def test_proto_field_numbers_match_tritonclient() -> None:
    """Our inference.proto against tritonclient's compiled grpc_service.proto."""
    fields = ("import json; from {} import {} as p; "
              "print(json.dumps({{m.name: {{f.name: f.number for f in m.fields}} "
              "for m in p.DESCRIPTOR.message_types_by_name.values()}}))")  # fmt: skip
    ours = _in_child("-c", fields.format("infergraph_server.proto", "inference_pb2"))
    theirs = _in_child("-c", fields.format("tritonclient.grpc", "service_pb2"))
    for name, numbers in ours.items():
        assert numbers == {f: n for f, n in theirs[name].items() if f in numbers}, name


def test_seldon_grpc(sklearn_server: Launch) -> None:
    script = f"""
import grpc, json
from infergraph_server.proto import prediction_pb2 as pb, prediction_pb2_grpc as rpc
ch = grpc.insecure_channel("{sklearn_server.grpc_target}")
msg = pb.SeldonMessage(data=pb.DefaultData(tensor=pb.Tensor(shape=[1, 4], values={IRIS_ROW})))
out = [list(s.Predict(msg).data.tensor.shape) for s in (rpc.ModelStub(ch), rpc.SeldonStub(ch))]
try:
    rpc.ModelStub(ch).Predict(pb.SeldonMessage(strData="x"))
except grpc.RpcError as e:
    out.append(e.code().name)
print(json.dumps(out))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, timeout=30
    )
    assert json.loads(done.stdout) == [[1, 3], [1, 3], "INVALID_ARGUMENT"]


def test_metrics_endpoint(sklearn_server: Launch) -> None:
    call(sklearn_server, "/predict", ROW)
    call(sklearn_server, "/predict", raw=b"{", method="POST")
    with urllib.request.urlopen(sklearn_server.metrics_url, timeout=5) as r:
        text = r.read().decode()
    assert 'infergraph_requests_total{code="200",endpoint="/predict",node="iris"}' in text
    assert 'infergraph_requests_total{code="400",endpoint="/predict",node="iris"}' in text
    assert 'infergraph_request_duration_seconds_bucket{endpoint="/predict"' in text


def test_user_class_from_env_with_errors_and_metrics() -> None:
    env = {
        "PYTHONPATH": str(HERE),
        "INFERGRAPH_CLASS": "seldon_user_model:Broken",
        "INFERGRAPH_NAME": "b",
    }
    with start_component([], env=env) as srv:
        status, body = call(srv, "/predict", ROW)
        assert status == 500 and "ValueError: bad model" in body["status"]["info"]
        assert call(srv, "/health/status") == (200, {"jsonData": {"ok": True}, "meta": {}})
    env["INFERGRAPH_CLASS"] = "seldon_user_model:MyModel"
    env["INFERGRAPH_PARAMETERS"] = '[{"name": "multiplier", "type": "INT", "value": "5"}]'
    with start_component([], env=env) as srv:
        status, body = call(srv, "/predict", {"data": {"ndarray": [[1, 2]]}})
        assert body["data"]["ndarray"] == [[5, 10]] and body["meta"]["tags"] == {"mytag": 1}
        with urllib.request.urlopen(srv.metrics_url, timeout=5) as r:
            assert 'mygauge{node="b"} 100.0' in r.read().decode()


def test_bad_settings_exit_2_with_message() -> None:
    from servers import SERVER

    done = subprocess.run([str(SERVER), "component", "--type", "BOSS", "--class", "x:Y"],
                          capture_output=True, text=True, timeout=30)  # fmt: skip
    assert done.returncode == 2 and '--type: "BOSS" is unknown' in done.stderr
    assert "Traceback" not in done.stderr


def test_load_failure_exits_1(tmp_path: Path) -> None:
    with (
        pytest.raises(RuntimeError, match="holds none of"),
        start_component(["--implementation", "SKLEARN_SERVER", "--model-uri", str(tmp_path)]),
    ):
        pass


def test_sigterm_drains_in_flight_and_exits_0() -> None:
    env = {"PYTHONPATH": str(HERE), "INFERGRAPH_CLASS": "slow_model:Slow"}
    with start_component([], env=env) as srv:
        result: list[Any] = []
        worker = threading.Thread(
            target=lambda: result.append(call(srv, "/predict", {"data": {"ndarray": [[1]]}}))
        )
        worker.start()
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        worker.join(10)
        assert result and result[0][0] == 200 and result[0][1]["data"]["ndarray"] == [[1]]
        assert srv.proc.wait(10) == 0


def test_two_workers_share_the_port(iris_dir: Path) -> None:
    with start_component(["--name", "iris", "--implementation", "SKLEARN_SERVER",
                          "--model-uri", str(iris_dir), "--workers", "2"]) as srv:  # fmt: skip
        for _ in range(20):
            assert call(srv, "/predict", ROW)[0] == 200
        with urllib.request.urlopen(srv.metrics_url, timeout=5) as r:
            text = r.read().decode()
        want = 'infergraph_requests_total{code="200",endpoint="/predict"'
        line = next(ln for ln in text.splitlines() if ln.startswith(want))
        assert float(line.split()[-1]) == 20.0
        assert srv.stop() == 0
