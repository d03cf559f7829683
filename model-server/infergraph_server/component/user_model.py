"""Calling user classes the way Seldon's Python wrapper does, so existing classes run unchanged.

Every method is optional. What a class offers is looked up once, at construction, so a
request pays only for the calls it makes.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from infergraph_server.errors import InferenceError, ModelError
from infergraph_server.metrics import validate_user_metrics

__all__ = ["UserModel", "load_class"]


_SEQUENCES = (list, tuple)  # a tuple: a `list | tuple` union is built at every call


@functools.lru_cache(maxsize=64)
def _default_names(columns: int) -> tuple[str, ...]:
    """Seldon's output column names t:0 .. t:n-1, made once per width."""
    return tuple(f"t:{i}" for i in range(columns))


def load_class(path: str) -> type:
    """Import `module:Class` (or Seldon's `module.Class` / bare module named like its class)."""
    if ":" in path:
        module_name, _, class_name = path.partition(":")
    elif "." in path:
        module_name, _, class_name = path.rpartition(".")
    else:
        module_name = class_name = path
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f'--class: cannot import module "{module_name}": {exc}') from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ValueError(f'--class: module "{module_name}" has no class "{class_name}"')
    return cls


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class UserModel:
    """A user object plus what it can do; `call` runs one method and wraps its failures."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.methods: dict[str, Callable[..., Any]] = {}
        for name in (
            "predict",
            "predict_raw",
            "transform_input",
            "transform_input_raw",
            "transform_output",
            "transform_output_raw",
            "route",
            "route_raw",
            "aggregate",
            "aggregate_raw",
            "send_feedback",
            "send_feedback_raw",
            "metrics",
            "tags",
            "health_status",
            "health_status_raw",
            "init_metadata",
            "load",
        ):
            method = getattr(obj, name, None)
            if callable(method):
                self.methods[name] = method
        self.predict_takes_meta = "predict" in self.methods and _accepts(
            self.methods["predict"], "meta"
        )
        self.feedback_takes_routing = "send_feedback" in self.methods and _accepts(
            self.methods["send_feedback"], "routing"
        )
        self.is_async = {n: inspect.iscoroutinefunction(m) for n, m in self.methods.items()}

    def has(self, name: str) -> bool:
        """Whether the user class defines `name`."""
        return name in self.methods

    def _failed(self, name: str, exc: Exception) -> ModelError:
        return ModelError(f"{type(self.obj).__name__}.{name}: {type(exc).__name__}: {exc}")

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Run method `name` (sync or async); any exception becomes a ModelError (500)."""
        try:
            result = self.methods[name](*args, **kwargs)
            if self.is_async[name]:
                result = await result
        except InferenceError:  # already carries its status (e.g. BadRequest)
            raise
        except Exception as exc:
            raise self._failed(name, exc) from exc
        return result

    async def predict(self, x: Any, names: list[str], meta: dict[str, Any]) -> Any:
        """`predict(X, names)`, with `meta=` for classes whose predict takes it; `call` unrolled
        for the one method every request makes (no second coroutine, no argument packing)."""
        try:
            if self.predict_takes_meta:
                result = self.methods["predict"](x, names, meta=meta)
            else:
                result = self.methods["predict"](x, names)
            if self.is_async["predict"]:
                result = await result
        except InferenceError:  # already carries its status (e.g. BadRequest)
            raise
        except Exception as exc:
            raise self._failed("predict", exc) from exc
        return result

    async def call_blocking(self, name: str) -> Any:
        """Run a slow method (load) in a thread so health endpoints keep answering."""
        if self.is_async[name]:
            return await self.call(name)
        try:
            return await asyncio.to_thread(self.methods[name])
        except Exception as exc:
            raise self._failed(name, exc) from exc

    def class_names(self, out: np.ndarray) -> list[str]:
        """Output column names: the class's `class_names`, else t:0..t:n for 2-D output."""
        if out.ndim < 2:
            return []
        names = getattr(self.obj, "class_names", None)
        if callable(names):
            names = names()
        if isinstance(names, _SEQUENCES):
            return [str(n) for n in names]
        return list(_default_names(out.shape[1]))

    def feature_names(self, original: list[str]) -> list[str]:
        """Names after a transform: the class's `feature_names`, else the request's."""
        names = getattr(self.obj, "feature_names", None)
        if callable(names):
            names = names()
        return [str(n) for n in names] if isinstance(names, _SEQUENCES) else original

    def meta(self, request_meta: dict[str, Any] | None) -> dict[str, Any]:
        """Response meta: puid echoed, user tags() and metrics() added when defined."""
        meta: dict[str, Any] = {}
        if request_meta and request_meta.get("puid"):
            meta["puid"] = request_meta["puid"]
        if "tags" in self.methods:
            tags = self.methods["tags"]()
            if tags:
                meta["tags"] = tags
        if "metrics" in self.methods:
            try:
                metrics = validate_user_metrics(self.methods["metrics"]())
            except ValueError as exc:
                raise ModelError(f"{type(self.obj).__name__}.metrics: {exc}") from None
            if metrics:
                meta["metrics"] = metrics
        return meta
