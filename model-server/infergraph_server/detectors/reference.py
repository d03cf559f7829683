"""Reference data of a detector: a `.npy` array or a `.csv` of numbers, rows x features.

`modelUri` names the file, or a directory holding one of the files the detector declares
(schemas/implementations.json); a CSV may start with one header line of column names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["ReferenceDataError", "load_reference", "reference_file"]


class ReferenceDataError(ValueError):
    """The reference data is missing or is not a numeric table; the message names the file."""


def reference_file(model_uri: str, files: Sequence[str]) -> Path:
    """The file `model_uri` (a path or file:// URI) names, or the first of `files` in it."""
    if "://" in model_uri and not model_uri.startswith("file://"):
        raise ReferenceDataError(
            f'model_uri: "{model_uri}" is remote; the storage initializer fetches it first'
        )
    path = Path(model_uri.removeprefix("file://"))
    if path.is_dir():
        for name in files:
            if (path / name).is_file():
                return path / name
        raise ReferenceDataError(f"{path}: holds none of {', '.join(files)}")
    if not path.is_file():
        raise ReferenceDataError(f"{path}: no such file or directory")
    return path


def _csv(path: Path) -> np.ndarray:
    text = path.read_text(encoding="utf-8-sig").splitlines()
    first = text[0].split(",") if text else []
    try:
        [float(cell) for cell in first]
        skip = 0
    except ValueError:
        skip = 1  # a header line of column names
    try:
        return np.loadtxt(path, delimiter=",", skiprows=skip, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ReferenceDataError(f"{path}: not a CSV of numbers ({exc})") from None


def load_reference(model_uri: str, files: Sequence[str]) -> np.ndarray:
    """The reference rows as a 2-D float64 array of at least two rows."""
    path = reference_file(model_uri, files)
    if path.suffix == ".csv":
        data = _csv(path)
    else:
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ReferenceDataError(f"{path}: not a .npy array ({exc})") from None
    if data.dtype.kind not in "biuf":
        raise ReferenceDataError(f"{path}: holds {data.dtype} values; expected numbers")
    data = np.asarray(data, dtype=np.float64)
    if data.ndim == 1:
        data = data.reshape(-1, 1)
    if data.ndim != 2 or data.shape[0] < 2:
        raise ReferenceDataError(
            f"{path}: shape {data.shape}; expected rows x features, 2 rows or more"
        )
    if not np.isfinite(data).all():
        raise ReferenceDataError(f"{path}: holds NaN or infinite values; expected finite numbers")
    return data
