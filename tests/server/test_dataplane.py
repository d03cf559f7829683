"""The protocol-neutral data plane with real user classes and prepackaged servers (no sockets)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from infergraph_server.codecs.v2 import InferRequest, Tensor
from infergraph_server.component.dataplane import DataPlane
from infergraph_server.errors import BadRequest, ModelError, ModelNotFound, NotReady
from infergraph_server.metrics import render_metrics
from infergraph_server.settings import ComponentSettings, SettingsError


def plane(**kw: Any) -> DataPlane:
    """A loaded, ready data plane."""
    p = DataPlane(ComponentSettings(**kw))
    asyncio.run(p.load())
    p.ready = True
    return p


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_seldon_docs_user_class() -> None:
    p = plane(name="m", class_path="seldon_user_model:MyModel", parameters={"multiplier": 3})
    out = run(
        p.predict({"data": {"names": ["a", "b"], "ndarray": [[1, 2]]}, "meta": {"puid": "p1"}})
    )
    assert out["data"]["ndarray"].tolist() == [[3, 6]]
    assert out["data"]["names"] == ["t:0", "t:1"]
    assert out["meta"]["puid"] == "p1" and out["meta"]["tags"] == {"mytag": 1}
    assert [m["key"] for m in out["meta"]["metrics"]] == ["mycounter", "mygauge", "mytimer"]
    assert p.metadata["versions"] == ["my-model/v1"]
    text = render_metrics().decode()
    assert 'mycounter_total{node="m"} 1.0' in text and 'mygauge{node="m"} 100.0' in text
    assert 'mytimer_count{node="m"} 1.0' in text


def test_tensor_in_tensor_out_and_meta_kwarg() -> None:
    p = plane(name="m", class_path="seldon_user_model:MetaModel")
    out = run(
        p.predict(
            {"data": {"tensor": {"shape": [1, 1], "values": [1]}}, "meta": {"tags": {"shift": 5}}}
        )
    )
    assert out["data"] == {
        "names": ["low", "high"],
        "tensor": {"shape": [1, 2], "values": [1.0, 6.0]},
    }


def test_raw_and_string_models() -> None:
    raw = plane(name="r", class_path="seldon_user_model:RawModel")
    out = run(raw.predict({"jsonData": [1], "meta": {"puid": "x"}}))
    assert out == {"jsonData": {"echo": [1], "puid": "x"}}
    text = plane(name="s", class_path="seldon_user_model:StringModel")
    assert run(text.predict({"strData": "hi"}))["strData"] == "HI"


def test_transformers_keep_names_and_identity_default() -> None:
    p = plane(name="t", type="TRANSFORMER", class_path="seldon_user_model:Transformer")
    out = run(p.transform("transform_input", {"data": {"names": ["x"], "ndarray": [[2]]}}))
    assert out["data"]["names"] == ["doubled"] and out["data"]["ndarray"].tolist() == [[4]]
    out = run(p.transform("transform_output", {"data": {"ndarray": [[2.0]]}}))
    assert out["data"]["ndarray"].tolist() == [[3.0]]
    model = plane(name="m", class_path="seldon_user_model:MyModel")
    same = run(model.transform("transform_input", {"data": {"names": ["a"], "ndarray": [[7]]}}))
    assert same["data"]["names"] == ["a"] and same["data"]["ndarray"].tolist() == [[7]]


def test_user_errors_are_model_errors_and_not_ready_is_503() -> None:
    p = plane(name="b", class_path="seldon_user_model:Broken")
    with pytest.raises(ModelError, match=r"Broken\.predict: ValueError: bad model"):
        run(p.predict({"data": {"ndarray": [[1]]}}))
    assert run(p.health_status())["jsonData"] == {"ok": True}
    p.ready = False
    with pytest.raises(NotReady):
        run(p.predict({"data": {"ndarray": [[1]]}}))


def test_settings_errors_name_the_flag() -> None:
    with pytest.raises(SettingsError, match="--class: cannot import"):
        run(DataPlane(ComponentSettings(class_path="nope_module:X")).load())
    with pytest.raises(SettingsError, match='--implementation: "FOO" is unknown'):
        run(DataPlane(ComponentSettings(implementation="FOO")).load())
    with pytest.raises(SettingsError, match="--parameters: MyModel does not accept"):
        run(
            DataPlane(
                ComponentSettings(class_path="seldon_user_model:MyModel", parameters={"x": 1})
            ).load()
        )


def test_sklearn_seldon_and_v2(iris_dir: Path) -> None:
    p = plane(name="iris", implementation="SKLEARN_SERVER", model_uri=f"file://{iris_dir}")
    out = run(p.predict({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}))
    assert out["data"]["ndarray"].shape == (1, 3) and out["data"]["ndarray"].argmax() == 0
    with pytest.raises(BadRequest, match=r"expected \[rows, 4\]"):
        run(p.predict({"data": {"ndarray": [[1.0, 2.0]]}}))
    req = InferRequest(
        [Tensor("input-0", "FP64", np.array([[6.7, 3.0, 5.2, 2.3]]))],
        outputs=[{"name": "predict_proba"}],
    )
    (t,) = run(p.infer("iris", req))
    assert t.name == "predict_proba" and t.datatype == "FP64" and t.array.argmax() == 2
    with pytest.raises(BadRequest, match="not produced"):
        run(p.infer("iris", InferRequest(req.inputs, outputs=[{"name": "nope"}])))
    with pytest.raises(ModelNotFound):
        run(p.infer("other", req))
    predict = plane(name="iris", implementation="SKLEARN_SERVER", model_uri=str(iris_dir),
                    parameters={"method": "predict"})  # fmt: skip
    assert run(predict.predict({"data": {"ndarray": [[5.1, 3.5, 1.4, 0.2]]}}))["data"][
        "ndarray"
    ].tolist() == [0]


def test_sklearn_missing_file_fails_load(tmp_path: Path) -> None:
    with pytest.raises(
        ModelError, match=r"SklearnServer\.load: FileNotFoundError: .* holds none of"
    ):
        run(
            DataPlane(
                ComponentSettings(implementation="SKLEARN_SERVER", model_uri=str(tmp_path))
            ).load()
        )


def test_average_combiner() -> None:
    p = plane(name="c", type="COMBINER", implementation="AVERAGE_COMBINER")
    msgs = {
        "seldonMessages": [{"data": {"ndarray": [[1.0, 3.0]]}}, {"data": {"ndarray": [[3.0, 5.0]]}}]
    }
    assert run(p.aggregate(msgs))["data"]["ndarray"].tolist() == [[2.0, 4.0]]
    bad = {"seldonMessages": [{"data": {"ndarray": [[1.0]]}}, {"data": {"ndarray": [[1.0, 2.0]]}}]}
    with pytest.raises(ModelError, match="differ in shape"):
        run(p.aggregate(bad))
    with pytest.raises(BadRequest, match="seldonMessages"):
        run(p.aggregate({"seldonMessages": []}))


def _bandit_share(p: DataPlane, name: str, good: int, seed: int) -> float:
    """Share of the last 500 of 2,000 routes going to `good` (reward p=0.8 there, 0.2 elsewhere)."""
    rng = random.Random(seed)
    msg = {"data": {"ndarray": [[1.0]]}}
    chosen = []

    async def main() -> None:
        for _ in range(2000):
            branch = int((await p.route(msg))["data"]["ndarray"][0][0])
            chosen.append(branch)
            reward = 1.0 if rng.random() < (0.8 if branch == good else 0.2) else 0.0
            await p.send_feedback({"request": msg, "reward": reward,
                                   "response": {"meta": {"routing": {name: branch}}}})  # fmt: skip

    run(main())
    return sum(1 for b in chosen[-500:] if b == good) / 500


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_epsilon_greedy_converges(seed: int) -> None:
    p = plane(name="eg", type="ROUTER", implementation="EPSILON_GREEDY",
              parameters={"n_branches": 3, "epsilon": 0.1, "seed": seed})  # fmt: skip
    assert _bandit_share(p, "eg", good=2, seed=seed) >= 0.8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thompson_sampling_converges(seed: int) -> None:
    p = plane(name="ts", type="ROUTER", implementation="THOMPSON_SAMPLING",
              parameters={"n_branches": 3, "seed": seed})  # fmt: skip
    assert _bandit_share(p, "ts", good=1, seed=seed) >= 0.8


def test_random_abtest_ratio() -> None:
    p = plane(
        name="ab",
        type="ROUTER",
        implementation="RANDOM_ABTEST",
        parameters={"ratioA": 0.25, "seed": 4},
    )
    routes = [
        int(run(p.route({"data": {"ndarray": [[1]]}}))["data"]["ndarray"][0][0])
        for _ in range(2000)
    ]
    assert 0.2 < routes.count(0) / 2000 < 0.3 and set(routes) == {0, 1}


def test_router_feedback_from_threads_loses_no_update() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from infergraph_server.component.prepackaged.routers import ThompsonSampling

    ts = ThompsonSampling(n_branches=2)
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda _: ts.send_feedback(np.ones((1, 1)), [], 1.0, None, routing=0), range(4000)
            )
        )
    assert ts.alpha[0] == 4001.0 and ts.beta[0] == 1.0


def test_bad_feedback_reward() -> None:
    p = plane(
        name="eg", type="ROUTER", implementation="EPSILON_GREEDY", parameters={"n_branches": 2}
    )
    with pytest.raises(BadRequest, match="reward"):
        run(p.send_feedback({"reward": "lots"}))
