"""The runtimes `infergraph up` runs a graph on, apart from `up` so that the CLI's parser can
offer them without importing the local runner."""

from __future__ import annotations

from typing import Literal

__all__ = ["RUNTIMES", "Runtime"]

Runtime = Literal["processes", "containers"]
#: the `--runtime` choices; the first is the default
RUNTIMES: tuple[Runtime, ...] = ("processes", "containers")
