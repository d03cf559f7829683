"""The runtimes beyond scikit-learn under `infergraph up`: each answers as its own library does.

Each test trains a tiny iris model with the library (bench/train_runtimes.py), serves its
example with `infergraph up`, and compares, to 1e-6, the library's own predictions with the
graph's answers: Seldon and V2 over REST through the gateway, Seldon and V2 over gRPC straight
to the node, concurrent requests (batched where the example batches), and V2 metadata.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from train_runtimes import TRAINERS

from .runtimes import ROWS, assert_close, assert_gateway_answers, library_answer
from .up import Up, post

pytestmark = pytest.mark.e2e_local

NODE = "node main/classifier"
#: runtime -> the V2 metadata its node reports: (platform, input names, output name)
EXPECTED_METADATA = {
    "xgboost": ("xgboost", ["input-0"], "predict_proba"),
    "lightgbm": ("lightgbm", ["input-0"], "predict_proba"),
    "onnx": ("onnx", ["X"], "probabilities"),
    "mlflow": ("mlflow", ["input-0"], "predict"),
}


@pytest.mark.parametrize("runtime", list(TRAINERS))
def test_runtime_answers_as_its_library_does(tmp_path: Path, runtime: str) -> None:
    volumes = tmp_path / "volumes"
    directory = volumes / "infergraph-models" / f"iris-{runtime}"
    directory.mkdir(parents=True)
    TRAINERS[runtime](directory)
    expected = library_answer(runtime, directory, ROWS)
    with Up(f"{runtime}.yaml", tmp_path, volumes=str(volumes)) as up:
        v2_output = assert_gateway_answers(up, runtime, expected)

        def one(i: int) -> Any:
            body = {"data": {"ndarray": ROWS[i % len(ROWS)][None].tolist()}}
            return post(up.connection(), "/api/v1.0/predictions", body)[2]["data"]["ndarray"]

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(24)))
        for i, answer in enumerate(answers):
            assert_close(answer, expected[i % len(ROWS)][None])

        script = Path(__file__).with_name("grpc_both.py")
        target = f"127.0.0.1:{up.grpc_ports[NODE]}"
        done = subprocess.run(
            [sys.executable, str(script), target, "classifier", json.dumps(ROWS.tolist())],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    over_grpc = json.loads(done.stdout)
    assert_close(np.reshape(over_grpc["seldon"]["values"], over_grpc["seldon"]["shape"]), expected)
    platform, inputs, name = EXPECTED_METADATA[runtime]
    assert list(over_grpc["v2"]) == [name] and v2_output == name
    assert_close(over_grpc["v2"][name], expected)
    assert over_grpc["metadata"] == {"platform": platform, "inputs": inputs, "outputs": [name]}
