"""Declared tensor shapes, checked before anything is allocated for them.

A shape costs a client a few bytes and numpy allocates for it at once: an object array for
a BYTES tensor of shape [1e8] is 800 MB before a single element is read. Every codec checks
a declared shape here, then the count against the values or bytes actually present, and only
then builds an array. Counts are Python integers, so a product never wraps around as
`np.prod` does in int64.
"""

from __future__ import annotations

import math
from typing import Any

from infergraph_server.errors import BadRequest

__all__ = ["MAX_DIMS", "MAX_VALUES", "brief", "shape_count"]

MAX_DIMS = 32
"""numpy 1.x's limit (numpy 2 allows 64); no model takes more."""
MAX_VALUES = 2**31 - 1
"""A gRPC message holds at most 2 GiB, so no request carries more values than this."""


def brief(value: Any, limit: int = 80) -> str:
    """`repr(value)` cut to `limit` characters: error messages never echo a whole payload."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shape_count(shape: Any, where: str) -> int:
    """The number of values `shape` declares; BadRequest at `{where}.shape` unless it is a list
    of at most MAX_DIMS non-negative integers spanning at most MAX_VALUES values.

    The span leaves zero dimensions out, as numpy sizes an empty array by the others.
    """
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise BadRequest(
            f"{where}.shape: expected a list of non-negative integers, got {brief(shape)}"
        )
    if len(shape) > MAX_DIMS:
        raise BadRequest(f"{where}.shape: {len(shape)} dimensions; at most {MAX_DIMS}")
    count = math.prod(shape)
    span = count or math.prod(d for d in shape if d)
    if span > MAX_VALUES:
        raise BadRequest(f"{where}.shape: {brief(shape)} spans {span} values; at most {MAX_VALUES}")
    return count
