"""Which examples our own servers can run: not one with a node whose implementation runs its own
container (TRITON_SERVER), whose image neither `infergraph up` nor the kind suite runs here."""

from __future__ import annotations

from pathlib import Path

from infergraph.loading import load
from infergraph.vocabulary import VOCABULARY

__all__ = ["EXAMPLES", "runs_on_our_servers"]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def runs_on_our_servers(example: Path) -> bool:
    """True unless a node of `example` runs an image of its own implementation's."""
    for predictor in load(example).predictors:
        for node in predictor.graph.walk():
            declared = VOCABULARY.implementations.get(node.implementation or "")
            if declared is not None and declared.container is not None:
                return False
    return True
