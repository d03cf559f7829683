"""Kubernetes resource quantities ("512Mi", "100m", "1.5", "1e3") as numbers."""

from __future__ import annotations

import re

__all__ = ["parse_quantity"]

_SUFFIX = {
    "": 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_QUANTITY = re.compile(
    r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE])?$"
)


def parse_quantity(text: str | int | float) -> float:
    """The quantity's value (bytes for memory, cores for CPU); ValueError when malformed."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    match = _QUANTITY.match(str(text).strip())
    if match is None:
        raise ValueError(f"{text!s}: not a Kubernetes quantity (e.g. 512Mi, 100m, 2)")
    return float(match[1]) * _SUFFIX[match[2] or ""]
