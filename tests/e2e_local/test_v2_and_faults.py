"""`infergraph up` end to end: V2 with real tritonclient, a node past its timeout, and the
`--volumes` / `--seed` flags.

The local gateway proxies HTTP only (as the Istio route of the chart does for REST), so the
tritonclient.grpc calls go straight to the orchestrator's gRPC port (its HTTP port + 1), from a
child process (triton_grpc.py says why).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as thttp
import yaml

from .up import EXAMPLES, REPO, Up, post

pytestmark = pytest.mark.e2e_local

ROWS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
PREDICT = "/api/v1.0/predictions"


@pytest.mark.parametrize("example", ["v2-protocol.yaml", "sklearn-single.yaml"])
def test_tritonclient_http_and_grpc_through_the_orchestrator(workdir: Path, example: str) -> None:
    """Both graph protocols answer V2; a V2 graph also answers the Seldon protocol."""
    model = yaml.safe_load((EXAMPLES / example).read_text())["metadata"]["name"]
    with Up(example, workdir) as up:
        http = thttp.InferenceServerClient(f"127.0.0.1:{up.port}")
        assert http.is_server_live() and http.is_server_ready() and http.is_model_ready(model)
        tensor = thttp.InferInput("input-0", list(ROWS.shape), "FP64")
        tensor.set_data_from_numpy(ROWS)  # binary tensor data: tritonclient's default
        binary = http.infer(model, [tensor], request_id="9")
        with pytest.raises(Exception, match="not served here"):
            http.infer("nope", [tensor])
        target = f"127.0.0.1:{up.grpc_ports['orchestrator main']}"
        script = Path(__file__).parents[1] / "triton_grpc.py"
        done = subprocess.run(
            [sys.executable, str(script), target, model, json.dumps(ROWS.tolist())],
            capture_output=True,
            check=True,
            timeout=60,
        )
        over_grpc = json.loads(done.stdout)
        tensor.set_data_from_numpy(ROWS, binary_data=False)
        as_json = http.infer(
            model, [tensor], outputs=[thttp.InferRequestedOutput("predict_proba", False)]
        )
        status, _, seldon = post(up.connection(), PREDICT, {"data": {"ndarray": ROWS.tolist()}})
        http.close()
    assert binary.get_response()["id"] == "9"
    probabilities = binary.as_numpy("predict_proba")
    assert probabilities.argmax(axis=1).tolist() == [0, 2]
    assert over_grpc["ready"] and over_grpc["id"] == "9", over_grpc
    assert "not served here" in over_grpc["unknown"]
    np.testing.assert_allclose(over_grpc["predict_proba"], probabilities)
    np.testing.assert_allclose(as_json.as_numpy("predict_proba"), probabilities)
    assert status == 200
    np.testing.assert_allclose(seldon["data"]["ndarray"], probabilities)
    assert seldon["meta"]["requestPath"] == {"classifier": "SKLEARN_SERVER"}


def test_slow_node_beyond_its_timeout_fails_naming_it(workdir: Path, tmp_path: Path) -> None:
    shutil.copy(REPO / "tests" / "server" / "slow_model.py", tmp_path)  # sleeps 1 s
    graph = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": "slow", "annotations": {"seldon.io/rest-timeout": "300"}},
        "spec": {
            "predictors": [
                {
                    "name": "main",
                    "graph": {"name": "sleepy", "type": "MODEL"},
                    "componentSpecs": [
                        {
                            "spec": {
                                "containers": [
                                    {
                                        "name": "sleepy",
                                        "image": "example.com/slow:1",
                                        "env": [
                                            {"name": "INFERGRAPH_CLASS", "value": "slow_model:Slow"}
                                        ],
                                    }
                                ]
                            }
                        }
                    ],
                }
            ]
        },
    }
    (tmp_path / "slow.yaml").write_text(yaml.safe_dump(graph))
    with Up(str(tmp_path / "slow.yaml"), workdir) as up:
        started = time.monotonic()
        status, _, out = post(up.connection(), PREDICT, {"data": {"ndarray": [[1.0]]}})
        took = time.monotonic() - started
    assert status == 504, out
    assert out["status"]["info"] == "node 'sleepy' timed out after 300 ms"
    assert 0.3 <= took < 0.9


def test_up_volumes_and_seed_flags(workdir: Path, tmp_path: Path) -> None:
    """Models found under `--volumes DIR`; the same `--seed` gives the same traffic split."""
    claim = tmp_path / "elsewhere" / "infergraph-models"
    for model in ("iris", "iris-v2"):
        shutil.copytree(workdir / "build/volumes/infergraph-models" / model, claim / model)
    runs = []
    for _ in range(2):
        with Up("canary-75-25.yaml", tmp_path, seed=5, volumes="elsewhere") as up:
            conn = up.connection()
            picks = []
            for _ in range(40):
                status, headers, _ = post(conn, PREDICT, {"data": {"ndarray": [ROWS[0].tolist()]}})
                assert status == 200
                picks.append(headers["x-infergraph-predictor"])
            runs.append(picks)
    assert runs[0] == runs[1]
    assert set(runs[0]) == {"main", "canary"}
