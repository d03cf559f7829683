"""What the model servers share: finding the model file, importing an extra, checking rows."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from infergraph_server.errors import BadRequest
from infergraph_server.vocabulary import IMPLEMENTATIONS

__all__ = ["check_rows", "local_path", "model_file", "require"]

_KINDS = {"U": "strings", "S": "bytes", "O": "objects", "M": "datetimes", "m": "timedeltas"}


def local_path(model_uri: str) -> Path:
    """A local path from `file://...` or a plain path; remote URIs are fetched before start."""
    if "://" in model_uri and not model_uri.startswith("file://"):
        raise ValueError(
            f'model_uri: "{model_uri}" is remote; the storage initializer fetches it first'
        )
    return Path(model_uri.removeprefix("file://"))


def model_file(model_uri: str, implementation: str) -> Path:
    """The model file at `model_uri`: the path itself, or the first declared file in it."""
    path = local_path(model_uri)
    files = IMPLEMENTATIONS[implementation].model_files  # declared with the implementation
    if path.is_dir():
        found = [path / f for f in files if (path / f).is_file()]
        if not found:
            raise FileNotFoundError(f"model_uri: {path} holds none of {', '.join(files)}")
        path = found[0]
    if not path.is_file():
        raise FileNotFoundError(f"model_uri: {path} does not exist")
    return path


def require(module: str, implementation: str) -> ModuleType:
    """Import a runtime library at load time, naming the extra or image that has it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        declared = IMPLEMENTATIONS[implementation]
        raise ImportError(
            f'{implementation}: cannot import "{module}" ({exc}); install'
            f" 'infergraph-server[{declared.extra}]' or run the image variant"
            f' "-{declared.image_variant}"'
        ) from None


def check_rows(X: Any, n_features: int | None) -> np.ndarray:
    """X when it is one row or more of `n_features` numbers, else the client's fault (400).

    The codecs pass strings, objects and empty batches on because other models take them.
    """
    if (
        not isinstance(X, np.ndarray)
        or X.ndim != 2
        or X.shape[0] == 0
        or X.dtype.kind not in "biuf"
        or (n_features is not None and X.shape[1] != n_features)
    ):
        got = (
            f"{list(X.shape)} {_KINDS.get(X.dtype.kind, 'numbers')}"
            if isinstance(X, np.ndarray)
            else type(X).__name__
        )
        raise BadRequest(f"input: {got}; expected [rows, {n_features}] numbers, one row or more")
    return X
