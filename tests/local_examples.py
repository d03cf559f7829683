"""Which examples our own servers can run here: not one with a node whose implementation runs
its own container (TRITON_SERVER), whose image neither `infergraph up` nor the kind suite runs;
which image variants each needs (the container tier builds them); and, for the kind suite,
which run on the default server image alone (it builds no variant)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from infergraph.loading import load
from infergraph.vocabulary import VOCABULARY, Implementation

__all__ = ["EXAMPLES", "image_variants", "runs_on_our_servers", "runs_on_the_default_image"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _declared(example: Path) -> Iterator[Implementation]:
    """The declaration of each prepackaged node of `example`."""
    for predictor in load(example).predictors:
        for node in predictor.graph.walk():
            declared = VOCABULARY.implementations.get(node.implementation or "")
            if declared is not None:
                yield declared


def runs_on_our_servers(example: Path) -> bool:
    """True unless a node of `example` runs an image of its own implementation's."""
    return all(declared.container is None for declared in _declared(example))


def image_variants(example: Path) -> set[str]:
    """The server image variants (`xgboost` for `-xgboost`, ...) the nodes of `example` run."""
    return {d.image_variant for d in _declared(example) if d.image_variant is not None}


def runs_on_the_default_image(example: Path) -> bool:
    """True when no node needs an image variant (`-xgboost`, ...) or an image of its own."""
    return runs_on_our_servers(example) and not image_variants(example)
