"""The orchestrator's protocol-neutral front: Seldon and V2 requests against either kind of graph.

REST (service.py) and gRPC (grpc_api.py) decode their wire format, call `Frontend`, and encode
its answer. A request in the graph's own protocol goes to the executor as it is; one in the
other protocol is converted on the way in and back on the way out (convert.py). The V2 model
name is the graph name. A Seldon-protocol graph answers V2 with one tensor, named after the
V2 metadata output of the node whose answer is the graph's (SKLEARN_SERVER: its method).
"""

from __future__ import annotations

from typing import Any

from infergraph_server import __version__
from infergraph_server.codecs.seldon import payload_kind
from infergraph_server.codecs.v2 import InferRequest, Tensor, select_outputs, tensor_to_json
from infergraph_server.errors import ModelNotFound

from .convert import (
    DEFAULT_INPUT,
    DEFAULT_OUTPUT,
    seldon_to_v2,
    tensors_of,
    v2_to_seldon,
)
from .executor import Executor
from .graph import RuntimeGraph, RuntimeNode

__all__ = ["Frontend", "answering_node"]

Message = dict[str, Any]


def answering_node(node: RuntimeNode, routing: dict[str, int]) -> RuntimeNode:
    """The node whose answer a walk with this `meta.routing` returned (first child on fan-out)."""
    if node.kind.answers_last or not node.children:
        return node
    branch = routing.get(node.name, -1)
    return answering_node(node.children[max(branch, 0)], routing)


class Frontend:
    """Seldon predict/feedback and V2 infer/metadata for one predictor's graph."""

    def __init__(self, graph: RuntimeGraph, executor: Executor) -> None:
        self.graph = graph
        self.executor = executor
        self.output_names: dict[str, str] = {}  # node -> V2 output name (from node metadata)

    async def predict(self, message: Message) -> Message:
        """A Seldon prediction; a V2 graph gets it as one tensor named `input-0`."""
        if self.graph.protocol == "seldon":
            return await self.executor.predict(message)
        inner: Message = {"inputs": seldon_to_v2(message, DEFAULT_INPUT)}
        if isinstance(message.get("meta"), dict):
            inner["meta"] = message["meta"]
        out = await self.executor.predict(inner)
        answer = v2_to_seldon(out["inputs"], payload_kind(message))
        answer["meta"] = out["meta"]
        return answer

    async def feedback(self, feedback: Message) -> Message:
        """Seldon feedback (routers learn from it in either kind of graph)."""
        return await self.executor.feedback(feedback)

    def check_model(self, name: str) -> None:
        """404 unless `name` is this graph."""
        if name != self.graph.graph:
            raise ModelNotFound(
                f'model "{name}" is not served here; this orchestrator serves "{self.graph.graph}"'
            )

    async def infer(self, name: str, request: InferRequest) -> list[Tensor]:
        """V2 infer on the graph; honours the requested outputs."""
        self.check_model(name)
        docs = [tensor_to_json(t) for t in request.inputs]
        if self.graph.protocol == "v2":
            tensors = tensors_of((await self.executor.predict({"inputs": docs}))["inputs"])
        else:
            out = await self.executor.predict(v2_to_seldon(docs))
            node = answering_node(self.graph.root, out["meta"]["routing"])
            tensors = tensors_of(
                seldon_to_v2(out, self.output_names.get(node.name, DEFAULT_OUTPUT))
            )
        return select_outputs(tensors, request.outputs)

    def model_metadata(self, name: str) -> Message:
        """V2 model metadata: the graph, its predictor and nodes."""
        self.check_model(name)
        nodes = [{"name": n.name, "type": n.type} for n in self.graph.nodes()]
        return {
            "name": self.graph.graph,
            "versions": [],
            "platform": "infergraph-graph",
            "inputs": [],
            "outputs": [],
            "parameters": {"predictor": self.graph.predictor, "nodes": nodes},
        }

    def server_metadata(self) -> Message:
        """V2 server metadata."""
        return {
            "name": "infergraph-orchestrator",
            "version": __version__,
            "extensions": ["binary_tensor_data"],
        }
