"""V2 (Open Inference Protocol) on the orchestrator, in process: V2 graphs, and either protocol
asked of either kind of graph."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import orjson
import pytest
from runtime_graph import node

from infergraph_server.codecs.v2 import InferRequest, Tensor
from infergraph_server.errors import BadRequest, ModelNotFound
from infergraph_server.orchestrator.executor import Executor
from infergraph_server.orchestrator.frontend import Frontend, answering_node
from infergraph_server.orchestrator.transport import Handler, InProcessTransport, Response

from .nodes import graph, seldon_node

Message = dict[str, Any]


def v2_model(factor: float, output: str) -> Handler:
    """A V2 node multiplying its single input by `factor`, answering tensor `output`."""

    async def handle(path: str, body: bytes) -> Response:
        assert path.startswith("/v2/models/") and path.endswith("/infer"), path
        (tensor,) = orjson.loads(body)["inputs"]
        data = [v * factor for v in tensor["data"]]
        out = {"name": output, "datatype": "FP64", "shape": tensor["shape"], "data": data}
        return Response(200, orjson.dumps({"model_name": path.split("/")[3], "outputs": [out]}))

    return handle


def request(rows: list[list[float]], outputs: list[Message] | None = None) -> InferRequest:
    return InferRequest([Tensor("input-0", "FP64", np.array(rows))], outputs=outputs or [])


def test_v2_graph_calls_models_by_v2_and_routers_combiners_by_seldon() -> None:
    combined: list[Message] = []

    def mean(path: str, msg: Message) -> Message:
        combined.append(msg)
        outs = [np.asarray(m["data"]["ndarray"]) for m in msg["seldonMessages"]]
        return {"data": {"ndarray": np.mean(outs, axis=0).tolist()}}

    root = node(
        "pre", "TRANSFORMER",
        node("router", "ROUTER",
             node("a", "MODEL"),
             node("avg", "COMBINER", node("m1", "MODEL"), node("m2", "MODEL"))),
    )  # fmt: skip
    transport = InProcessTransport(
        {
            "pre": v2_model(2, "doubled"),
            "router": seldon_node(lambda path, msg: {"data": {"ndarray": [[1]]}}),
            "a": v2_model(100, "a-out"),
            "avg": seldon_node(mean),
            "m1": v2_model(1, "proba"),
            "m2": v2_model(3, "proba"),
        }
    )
    front = Frontend(graph(root, protocol="v2"), Executor(graph(root, protocol="v2"), transport))
    (out,) = asyncio.run(front.infer("g", request([[1.0, 2.0]])))
    assert (out.name, out.datatype, out.array.tolist()) == ("proba", "FP64", [[4.0, 8.0]])
    assert ("pre", "/v2/models/pre/infer") in transport.calls
    assert ("router", "/route") in transport.calls and ("avg", "/aggregate") in transport.calls
    assert ("a", "/v2/models/a/infer") not in transport.calls
    assert combined[0]["seldonMessages"][1] == {"data": {"names": [], "ndarray": [[6.0, 12.0]]}}
    seldon = asyncio.run(front.predict({"data": {"tensor": {"shape": [1, 2], "values": [1, 2]}}}))
    assert seldon["data"]["tensor"] == {"shape": [1, 2], "values": [4.0, 8.0]}
    assert seldon["meta"]["routing"] == {"pre": -1, "router": 1, "avg": -1}


def test_seldon_graph_answers_v2_with_the_answering_nodes_output_name() -> None:
    root = node("clf", "MODEL", node("post", "OUTPUT_TRANSFORMER"))

    def times(factor: float) -> Handler:
        return seldon_node(
            lambda path, msg: {
                "data": {"ndarray": (np.asarray(msg["data"]["ndarray"]) * factor).tolist()}
            }
        )

    g = graph(root)
    front = Frontend(g, Executor(g, InProcessTransport({"clf": times(2), "post": times(5)})))
    front.output_names = {"clf": "predict_proba", "post": "scaled"}
    (out,) = asyncio.run(front.infer("g", request([[1.0, 2.0]], [{"name": "scaled"}])))
    assert (out.name, out.array.tolist()) == ("scaled", [[10.0, 20.0]])
    with pytest.raises(BadRequest, match=r"\['predict_proba'\] not produced"):
        asyncio.run(front.infer("g", request([[1.0]], [{"name": "predict_proba"}])))
    with pytest.raises(ModelNotFound, match='"other" is not served here'):
        asyncio.run(front.infer("other", request([[1.0]])))
    two = InferRequest([Tensor("x", "FP64", np.ones(2)), Tensor("y", "FP64", np.ones(2))])
    with pytest.raises(BadRequest, match="takes exactly one tensor"):
        asyncio.run(front.infer("g", two))


def test_answering_node_follows_the_recorded_routing() -> None:
    root = graph(
        node("r", "ROUTER", node("a", "MODEL", node("a2", "MODEL")), node("b", "MODEL"))
    ).root
    assert answering_node(root, {"r": 0, "a": -1}).name == "a2"
    assert answering_node(root, {"r": 1}).name == "b"
