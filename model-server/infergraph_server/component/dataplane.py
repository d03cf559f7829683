"""Protocol-neutral component logic: what /predict, /route, ... and V2 infer do.

REST and gRPC adapters decode their wire format into the dicts and arrays used here and
encode the results back; nothing in this module knows about HTTP or protobuf.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol

import numpy as np
import orjson

from infergraph_server import __version__
from infergraph_server.codecs.seldon import decode_message, encode_payload, payload_kind
from infergraph_server.codecs.v2 import InferRequest, Tensor, datatype_of, select_outputs
from infergraph_server.component.batching import Batcher, batch_rows
from infergraph_server.component.prepackaged import PREPACKAGED
from infergraph_server.component.user_model import UserModel, load_class
from infergraph_server.errors import BadRequest, ModelError, ModelNotFound, NotReady
from infergraph_server.metrics import Metrics
from infergraph_server.node_types import NODE_KINDS
from infergraph_server.settings import ComponentSettings, SettingsError
from infergraph_server.vocabulary import BATCHING_NODE_TYPES, IMPLEMENTATIONS

__all__ = [
    "BATCHABLE",
    "SERVER_GPUS",
    "DataPlane",
    "V2Model",
    "batchable",
    "build_user_object",
]

log = logging.getLogger(__name__)

#: The class attribute, or node parameter, by which a user class says its predict is row-wise.
BATCHABLE = "batchable"
#: The keyword by which a prepackaged server that can use GPUs takes the node's GPU count.
SERVER_GPUS = "gpus"

# What a model may answer besides an array (the union's isinstance costs a union build per call).
_NOT_ARRAY = (str, bytes, bytearray, dict)

Predict = Callable[[Any, list[str], dict[str, Any]], Awaitable[Any]]


class V2Model(Protocol):
    """What the V2 adapters call: a node's `DataPlane` or the orchestrator's `Frontend`."""

    def check_model(self, name: str) -> None:
        """Raise ModelNotFound unless `name` is served here."""

    def model_metadata(self, name: str) -> dict[str, Any]:
        """V2 model metadata of `name`."""

    def server_metadata(self) -> dict[str, Any]:
        """V2 server metadata."""

    async def infer(self, name: str, request: InferRequest) -> list[Tensor]:
        """Answer one V2 infer request."""


def build_user_object(settings: ComponentSettings) -> Any:
    """Construct the prepackaged server or user class with `parameters` as keyword arguments."""
    if settings.implementation:
        cls = PREPACKAGED.get(settings.implementation)
        if cls is None:
            raise SettingsError(
                f'--implementation: "{settings.implementation}" is unknown;'
                f" use one of {', '.join(PREPACKAGED)}"
            )
    else:
        try:
            cls = load_class(settings.class_path or "")
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    kwargs = dict(settings.parameters)
    if not settings.implementation:
        kwargs.pop(BATCHABLE, None)  # ours, not the class's
    takes = inspect.signature(cls).parameters
    if settings.model_uri and "model_uri" in takes:
        kwargs.setdefault("model_uri", settings.model_uri)
    if settings.implementation and SERVER_GPUS in takes:
        kwargs[SERVER_GPUS] = settings.gpus
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise SettingsError(f"--parameters: {cls.__name__} does not accept them: {exc}") from None


class DataPlane:
    """One graph node's behaviour; `ready` turns true once `load` has finished."""

    def __init__(self, settings: ComponentSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.metrics = Metrics(settings.name, enabled=settings.metrics_port != 0)
        self.model: UserModel | None = None
        self.metadata: dict[str, Any] = {}
        self.ready = False
        self._predict: Predict = _not_loaded  # the model's predict, or its batching front

    async def load(self) -> None:
        """Build the user object, run its `load()` and read its metadata (off the event loop)."""
        obj = await asyncio.to_thread(build_user_object, self.settings)
        model = UserModel(obj)
        if model.has("load"):
            await model.call_blocking("load")
        meta: dict[str, Any] = {
            "name": self.name,
            "versions": [],
            "platform": "infergraph-server",
            "inputs": [],
            "outputs": [],
            "custom": {},
        }
        if model.has("init_metadata"):
            user_meta = await model.call("init_metadata")
            if not isinstance(user_meta, dict):
                raise ModelError(
                    f"init_metadata() must return a dict, got {type(user_meta).__name__}"
                )
            meta.update(user_meta)
        self.metadata = meta
        self.model = model
        self._predict = model.predict
        if self.settings.max_batch_size > 0:
            if batchable(self.settings, obj):
                self._predict = self._batching(model)
            else:
                log.warning(
                    "%s: --max-batch-size is set, but batching is off: a %s node batches only"
                    " with a batchable implementation or a class that sets %s = True",
                    self.name,
                    self.settings.type,
                    BATCHABLE,
                )

    def _batching(self, model: UserModel) -> Predict:
        """`model.predict` behind a Batcher: compatible requests' rows share one call."""
        settings = self.settings
        batcher = Batcher(
            settings.max_batch_size,
            settings.max_batch_latency_ms / 1000.0,
            self.metrics.batch_observer(),
        )
        takes_meta = model.predict_takes_meta

        async def predict(x: Any, names: list[str], meta: dict[str, Any]) -> Any:
            arrays = batch_rows(x)
            if arrays is None:
                return await model.predict(x, names, meta)
            single = isinstance(x, np.ndarray)

            def key() -> Hashable:
                shapes = tuple((a.dtype.str, a.shape[1:]) for a in arrays)
                seen = b""
                if takes_meta and meta:
                    seen = orjson.dumps(meta, option=orjson.OPT_SORT_KEYS)
                return (tuple(names), single, shapes, seen)

            return await batcher.submit(
                arrays,
                lambda merged: model.predict(merged[0] if single else list(merged), names, meta),
                key,
            )

        return predict

    def _model(self) -> UserModel:
        if not self.ready or self.model is None:
            raise NotReady(f"model {self.name} is not ready")
        return self.model

    # Seldon protocol
    def _respond(
        self,
        model: UserModel,
        out: Any,
        request: dict[str, Any],
        is_request: bool,
        names: list[str],
    ) -> dict[str, Any]:
        kind = payload_kind(request)
        if isinstance(out, _NOT_ARRAY):
            body = encode_payload(out, kind, [])
        else:
            arr = out if isinstance(out, np.ndarray) else np.asarray(out)
            out_names = model.feature_names(names) if is_request else model.class_names(arr)
            body = encode_payload(arr, kind, out_names)
        meta = model.meta(request.get("meta"))
        if "metrics" in meta:
            self.metrics.record_user(meta["metrics"])
        body["meta"] = meta
        return body

    async def _raw(self, model: UserModel, method: str, msg: Any) -> dict[str, Any]:
        out = await model.call(method, msg)
        if not isinstance(out, dict):
            raise ModelError(
                f"{method}() must return a dict (a Seldon message), got {type(out).__name__}"
            )
        return out

    async def predict(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Seldon /predict: `predict_raw(msg)` or `predict(X, names[, meta])`."""
        model = self._model()
        if model.has("predict_raw"):
            return await self._raw(model, "predict_raw", msg)
        if not model.has("predict"):
            raise BadRequest(f"{self.name} has no predict method")
        x, names = decode_message(msg)
        out = await self._predict(x, names, msg.get("meta") or {})
        return self._respond(model, out, msg, False, names)

    async def transform(self, method: str, msg: dict[str, Any]) -> dict[str, Any]:
        """Seldon /transform-input or /transform-output; without the method, the identity."""
        model = self._model()
        if model.has(method + "_raw"):
            return await self._raw(model, method + "_raw", msg)
        x, names = decode_message(msg)
        if not model.has(method):
            return self._respond(model, x, msg, True, names)
        out = await model.call(method, x, names)
        return self._respond(model, out, msg, method == "transform_input", names)

    async def route(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Seldon /route: the child index as `data.ndarray [[i]]`."""
        model = self._model()
        if model.has("route_raw"):
            return await self._raw(model, "route_raw", msg)
        if not model.has("route"):
            raise BadRequest(f"{self.name} has no route method")
        x, names = decode_message(msg)
        out = await model.call("route", x, names)
        try:
            branch = int(out)
        except (TypeError, ValueError):
            raise ModelError(f"route() must return an int, got {out!r}") from None
        return {"data": {"names": [], "ndarray": [[branch]]}, "meta": model.meta(msg.get("meta"))}

    async def aggregate(self, msg_list: Any) -> dict[str, Any]:
        """Seldon /aggregate: `aggregate(Xs, names_list)` over `seldonMessages`."""
        model = self._model()
        if model.has("aggregate_raw"):
            return await self._raw(model, "aggregate_raw", msg_list)
        msgs = msg_list.get("seldonMessages") if isinstance(msg_list, dict) else None
        if not isinstance(msgs, list) or not msgs:
            raise BadRequest("request: expected {seldonMessages: [message, ...]} with at least one")
        if not model.has("aggregate"):
            raise BadRequest(f"{self.name} has no aggregate method")
        decoded = [decode_message(m, f"seldonMessages[{i}]") for i, m in enumerate(msgs)]
        out = await model.call("aggregate", [d[0] for d in decoded], [d[1] for d in decoded])
        return self._respond(model, out, msgs[0], False, decoded[0][1])

    async def send_feedback(self, feedback: Any) -> dict[str, Any]:
        """Seldon /send-feedback: reward (and truth, routing) to `send_feedback`."""
        model = self._model()
        if model.has("send_feedback_raw"):
            return await self._raw(model, "send_feedback_raw", feedback)
        if not isinstance(feedback, dict):
            raise BadRequest(
                "request: expected a Feedback object {request, response, reward, truth}"
            )
        reward = feedback.get("reward", 0.0)
        if not isinstance(reward, int | float) or isinstance(reward, bool):
            raise BadRequest(f"reward: expected a number, got {reward!r}")
        request = feedback.get("request") or {}
        if not model.has("send_feedback"):
            return {"meta": model.meta(request.get("meta"))}
        x, names = decode_message(request, "request") if request else (None, [])
        truth = decode_message(feedback["truth"], "truth")[0] if feedback.get("truth") else None
        response = feedback.get("response") or {}
        routing = ((response.get("meta") or {}).get("routing") or {}).get(self.name)
        if model.feedback_takes_routing:
            out = await model.call("send_feedback", x, names, float(reward), truth, routing=routing)
        else:
            out = await model.call("send_feedback", x, names, float(reward), truth)
        if out is None:
            return {"meta": model.meta(request.get("meta"))}
        return self._respond(model, out, request, False, names)

    async def health_status(self) -> dict[str, Any]:
        """Seldon /health/status: the user's `health_status()` or a success status."""
        model = self._model()
        if model.has("health_status_raw"):
            return await self._raw(model, "health_status_raw", None)
        if model.has("health_status"):
            return self._respond(model, await model.call("health_status"), {}, False, [])
        return {"status": {"code": 200, "info": "ready", "reason": "", "status": "SUCCESS"}}

    # V2 protocol
    def check_model(self, name: str) -> None:
        """404 unless `name` is this node's model."""
        if name != self.name:
            raise ModelNotFound(
                f'model "{name}" is not served here; this server serves "{self.name}"'
            )

    def model_metadata(self, name: str) -> dict[str, Any]:
        """V2 model metadata."""
        self.check_model(name)
        m = self.metadata
        return {
            "name": self.name,
            "versions": m.get("versions") or [],
            "platform": m.get("platform", ""),
            "inputs": m.get("inputs") or [],
            "outputs": m.get("outputs") or [],
        }

    def server_metadata(self) -> dict[str, Any]:
        """V2 server metadata."""
        return {
            "name": "infergraph-server",
            "version": __version__,
            "extensions": ["binary_tensor_data"],
        }

    async def infer(self, name: str, request: InferRequest) -> list[Tensor]:
        """V2 infer: inputs to the node's method (one input → its array, several → a list)."""
        self.check_model(name)
        model = self._model()
        method = NODE_KINDS[self.settings.type].v2_method
        if method is None or not model.has(method):
            raise BadRequest(f"{self.name} ({self.settings.type}) cannot answer V2 infer")
        arrays = [t.array for t in request.inputs]
        x = arrays[0] if len(arrays) == 1 else arrays
        names = [t.name for t in request.inputs]
        if method == "predict":
            out = await self._predict(x, names, {})
        else:
            out = await model.call(method, x, names)
        produced = out if isinstance(out, dict) else {self._output_name(): out}
        tensors = []
        for out_name, value in produced.items():
            arr = value if isinstance(value, np.ndarray) else np.asarray(value)
            tensors.append(Tensor(str(out_name), datatype_of(arr), arr))
        return select_outputs(tensors, request.outputs)

    def _output_name(self) -> str:
        outputs = self.metadata.get("outputs") or []
        if outputs and isinstance(outputs[0], dict) and outputs[0].get("name"):
            return str(outputs[0]["name"])
        return "output-0"


async def _not_loaded(x: Any, names: list[str], meta: dict[str, Any]) -> Any:
    raise NotReady("the model is not loaded")


def batchable(settings: ComponentSettings, obj: Any) -> bool:
    """Whether a node may merge requests: a batching node type, and a prepackaged server
    declared `batchable` or a user class that opts in (class attribute or node parameter)."""
    if settings.type not in BATCHING_NODE_TYPES:
        return False
    if settings.implementation:
        return IMPLEMENTATIONS[settings.implementation].batchable
    return settings.parameters.get(BATCHABLE, getattr(obj, BATCHABLE, False)) is True
