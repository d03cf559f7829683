"""A SeldonDeployment asks for batching through its container's env: read, checked, compiled."""

from __future__ import annotations

from typing import Any

import pytest

from infergraph.api import compile_values
from infergraph.loading import load_text

from .docs import JSON, dump, native, problems, seldon

P0 = "/spec/predictors/0"
C0 = f"{P0}/componentSpecs/0/spec/containers/0"


def with_env(*env: JSON, **graph: JSON) -> JSON:
    doc = seldon()
    predictor = doc["spec"]["predictors"][0]
    predictor["componentSpecs"][0]["spec"]["containers"][0]["env"] = list(env)
    predictor["graph"].update(graph)
    return doc


def var(name: str, value: str) -> JSON:
    return {"name": f"INFERGRAPH_MAX_BATCH_{name}", "value": value}


def node_env(doc: JSON) -> list[Any]:
    values = compile_values(load_text(dump(doc), "g.yaml"))
    env: list[Any] = values["predictors"]["main"]["nodes"]["clf"]["container"]["env"]
    return env


def test_env_batching_compiles_as_the_field_does() -> None:
    from_env = with_env(var("SIZE", "32"), {"name": "MINE", "value": "1"}, var("LATENCY_MS", "2"))
    from_field = with_env({"name": "MINE", "value": "1"})
    from_field["spec"]["predictors"][0]["graph"]["batching"] = {
        "maxBatchSize": 32,
        "maxLatencyMs": 2,
    }
    assert node_env(from_env) == node_env(from_field)
    names = [e["name"] for e in node_env(from_env)]
    assert names.count("INFERGRAPH_MAX_BATCH_SIZE") == 1, names  # never passed through twice
    assert {"name": "INFERGRAPH_MAX_BATCH_LATENCY_MS", "value": "2"} in node_env(from_env)


def test_no_batching_variables_leave_the_env_as_written() -> None:
    env = [
        {"name": "B", "value": "2"},
        {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "x"}}},
    ]
    assert node_env(with_env(*env))[-2:] == env


@pytest.mark.parametrize(
    ("env", "graph", "expected"),
    [
        (
            [var("SIZE", "0"), var("LATENCY_MS", "2")],
            {},
            [
                f'{C0}/env/0/value: "0" is not valid for INFERGRAPH_MAX_BATCH_SIZE; '
                "expected a whole number literal from 1 to 65536"
            ],
        ),
        (
            [var("SIZE", "8"), var("LATENCY_MS", "soon")],
            {},
            [
                f'{C0}/env/1/value: "soon" is not valid for INFERGRAPH_MAX_BATCH_LATENCY_MS; '
                "expected a number literal from 0.001 to 1000"
            ],
        ),
        (
            [{"name": "INFERGRAPH_MAX_BATCH_SIZE", "valueFrom": {}}, var("LATENCY_MS", "1")],
            {},
            [
                f"{C0}/env/0: valueFrom is not valid for INFERGRAPH_MAX_BATCH_SIZE; "
                "expected a whole number literal from 1 to 65536"
            ],
        ),
        (
            [var("SIZE", "8")],
            {},
            [
                f"{C0}/env/0: is set without INFERGRAPH_MAX_BATCH_LATENCY_MS; "
                "expected both batching variables"
            ],
        ),
        (
            [var("SIZE", "8"), var("LATENCY_MS", "1")],
            {"batching": {"maxBatchSize": 8, "maxLatencyMs": 1}},
            [f"{C0}/env/0: is also set at {P0}/graph/batching; expected it in one place"],
        ),
        (
            [var("SIZE", "8"), var("LATENCY_MS", "1")],
            {"type": "TRANSFORMER"},
            [f'{C0}/env/0: is set on TRANSFORMER "clf"; expected it only on: MODEL'],
        ),
    ],
    ids=["bounds", "not a number", "valueFrom", "one of two", "both ways", "not a model"],
)
def test_bad_batching_variables_are_errors_at_their_entry(
    env: list[JSON], graph: dict[str, JSON], expected: list[str]
) -> None:
    assert problems(with_env(*env, **graph)) == expected


def test_the_native_field_keeps_its_pointer() -> None:
    doc = native()
    doc["spec"]["predictors"][0]["graph"] = {
        "name": "clf",
        "type": "TRANSFORMER",
        "image": "me/r:1",
        "batching": {"maxBatchSize": 8, "maxLatencyMs": 1},
    }
    assert problems(doc) == [
        '/spec/predictors/0/graph/batching: is set on TRANSFORMER "clf"; expected it only on: MODEL'
    ]
