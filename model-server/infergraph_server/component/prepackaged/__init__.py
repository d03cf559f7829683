"""Prepackaged servers, selected by `--implementation`."""

from infergraph_server.component.prepackaged.combiners import AverageCombiner
from infergraph_server.component.prepackaged.routers import (
    EpsilonGreedy,
    RandomABTest,
    ThompsonSampling,
)
from infergraph_server.component.prepackaged.sklearn import SklearnServer

__all__ = [
    "PREPACKAGED",
    "AverageCombiner",
    "EpsilonGreedy",
    "RandomABTest",
    "SklearnServer",
    "ThompsonSampling",
]

PREPACKAGED: dict[str, type] = {
    "SKLEARN_SERVER": SklearnServer,
    "RANDOM_ABTEST": RandomABTest,
    "EPSILON_GREEDY": EpsilonGreedy,
    "THOMPSON_SAMPLING": ThompsonSampling,
    "AVERAGE_COMBINER": AverageCombiner,
}
