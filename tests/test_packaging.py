"""The server distribution installs from its folder as the Dockerfile installs it (`pip install .`,
no editable checkout): the console script runs and the gRPC stubs and protos are in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_server_installs_non_editable_and_runs(tmp_path: Path) -> None:
    # A copy, so that setuptools' build/ and egg-info land there, not in the checkout.
    source = shutil.copytree(
        ROOT / "model-server",
        tmp_path / "src",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(source)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    package = target / "infergraph_server"
    assert (package / "proto" / "inference.proto").exists()
    assert (package / "proto" / "prediction_pb2_grpc.py").exists()
    assert (package / "py.typed").exists()
    # Run from the installed copy only (the venv supplies the dependencies, not the checkout).
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import infergraph_server, sys; from infergraph_server import cli;"
        "from infergraph_server.proto import inference_pb2, prediction_pb2;"
        "assert infergraph_server.__file__.startswith(sys.argv[1]), infergraph_server.__file__;"
        "sys.argv = ['infergraph-server', 'component', '--help']; cli.main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "INFERGRAPH_MODEL_URI" in done.stdout
