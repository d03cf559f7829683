"""seldon-core's SeldonClient and a Seldon-docs user class, unchanged, against our servers.

- against a component server (SKLEARN_SERVER): the client's component API (REST `/predict`
  form-encoded, gRPC `Model/Predict`) and its orchestrator API (REST `/api/v1.0/predictions`,
  gRPC `Seldon/Predict`), ndarray and tensor payloads;
- a user class written as in Seldon's docs under `--class`, answering as seldon-core's own
  microservice does with the same class;
- through orchestrators (REST and gRPC to them, and from them to the node);
- through `infergraph up`'s gateway.
"""

from __future__ import annotations

import shutil
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from .clients import (
    PEERS_PYTHON,
    UP_MODEL_DIR,
    assert_prediction,
    call,
    endpoint,
    run_seldon_calls,
    servers,
)

if not PEERS_PYTHON.exists():
    pytest.skip(".venv-peers missing (seldon-core client); `make peers` builds it",
                allow_module_level=True)  # fmt: skip

from e2e_local.up import Up

pytestmark = [pytest.mark.peers, pytest.mark.e2e_local]

HERE = Path(__file__).resolve().parent
COMBOS = list(product(("microservice", "seldon"), ("rest", "grpc"), ("ndarray", "tensor")))


@pytest.fixture(scope="module")
def answers(
    iris_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every combination asked of one SKLEARN_SERVER, in one client process."""
    launch = servers.our_component(
        tmp_path_factory.mktemp("component"), servers.sklearn_flags(iris_model)
    )
    with launch.proc:
        specs = [call(api, tr, endpoint(launch, tr), payload) for api, tr, payload in COMBOS]
        return dict(zip(COMBOS, run_seldon_calls(specs), strict=True))


@pytest.mark.parametrize(("api", "transport", "payload_type"), COMBOS)
def test_component_server(
    answers: dict[tuple[str, str, str], dict[str, Any]],
    iris_expected: list[list[float]],
    api: str,
    transport: str,
    payload_type: str,
) -> None:
    answer = answers[(api, transport, payload_type)]
    assert_prediction(answer, payload_type, iris_expected)
    assert answer["response"]["data"]["names"] == ["t:0", "t:1", "t:2"]


def test_seldon_docs_class_runs_unchanged(
    iris_model: Path, iris_expected: list[list[float]], tmp_path: Path
) -> None:
    shutil.copy(iris_model, tmp_path / "IrisClassifier.sav")  # the class loads it from cwd
    env = {"PYTHONPATH": str(HERE)}
    ours = servers.our_component(
        tmp_path, ["--class", "IrisClassifier:IrisClassifier"], env=env, cwd=tmp_path
    )
    theirs = servers.seldon_core(tmp_path, "IrisClassifier", env=env, cwd=tmp_path)
    specs = [call("microservice", tr, endpoint(lx, tr)) for lx in (ours, theirs)
             for tr in ("rest", "grpc")]  # fmt: skip
    with ours.proc, theirs.proc:
        answers = run_seldon_calls(specs)
    for answer in answers:  # values: equal up to float rounding (the venvs' numpy differ)
        assert_prediction(answer, "ndarray", iris_expected)
    shape = [{k: v if k == "names" else "..." for k, v in a["response"]["data"].items()}
             for a in answers]  # fmt: skip
    assert shape[:2] == shape[2:]


ORCHESTRATED = list(product(("rest", "grpc"), ("rest", "grpc")))


@pytest.fixture(scope="module")
def orchestrated(
    iris_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, Any]]:
    """(client transport, node transport) → answer, from two orchestrators over one node."""
    work = tmp_path_factory.mktemp("orchestrated")
    node = servers.our_component(work, servers.sklearn_flags(iris_model), name="classifier")
    root = servers.runtime_node("classifier", "MODEL", "SKLEARN_SERVER", node)
    orchestrators = {}
    for transport in ("rest", "grpc"):
        graph_file = servers.write_runtime_graph(work / f"{transport}.json", root, transport)
        orchestrators[transport] = servers.orchestrator(graph_file, work)
    specs = [call("seldon", client, endpoint(orchestrators[to_node], client), "tensor")
             for client, to_node in ORCHESTRATED]  # fmt: skip
    with node.proc, orchestrators["rest"].proc, orchestrators["grpc"].proc:
        return dict(zip(ORCHESTRATED, run_seldon_calls(specs), strict=True))


@pytest.mark.parametrize(("client", "to_node"), ORCHESTRATED)
def test_through_orchestrator(
    orchestrated: dict[tuple[str, str], dict[str, Any]],
    iris_expected: list[list[float]],
    client: str,
    to_node: str,
) -> None:
    answer = orchestrated[(client, to_node)]
    assert_prediction(answer, "tensor", iris_expected)
    assert answer["response"]["meta"]["requestPath"] == {"classifier": "SKLEARN_SERVER"}
    assert answer["response"]["meta"]["puid"]


def test_through_gateway(
    iris_model: Path, iris_expected: list[list[float]], tmp_path: Path
) -> None:
    (tmp_path / UP_MODEL_DIR).mkdir(parents=True)
    shutil.copy(iris_model, tmp_path / UP_MODEL_DIR / "model.joblib")
    payload_types = ("ndarray", "tensor")
    with Up("sklearn-single.yaml", tmp_path) as up:
        gateway = f"127.0.0.1:{up.port}"
        answers = run_seldon_calls([call("seldon", "rest", gateway, p) for p in payload_types])
    for answer, payload_type in zip(answers, payload_types, strict=True):
        assert_prediction(answer, payload_type, iris_expected)
        assert answer["response"]["meta"]["requestPath"] == {"classifier": "SKLEARN_SERVER"}
