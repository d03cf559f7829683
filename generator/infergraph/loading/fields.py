"""Fields that nodes and detectors share, read and checked where their pointers are known."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import Findings
from ..model import Parameter, Resources
from ..pointers import JSON
from .rules import gpu_problems, parse_parameter

__all__ = ["read_parameters", "read_resources"]


def _quantity(value: JSON) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_resources(raw: Mapping[str, JSON] | None, at: str, findings: Findings) -> Resources | None:
    """A `resources` object (node, container, orchestrator or detector), GPU counts checked."""
    if raw is None:
        return None
    parts = {
        part: {name: _quantity(q) for name, q in raw.get(part, {}).items()}
        for part in ("requests", "limits")
    }
    for where, message in gpu_problems(parts, at):
        findings.error(where, message)
    return Resources(requests=parts["requests"], limits=parts["limits"])


def read_parameters(
    raws: list[Mapping[str, JSON]], at: str, findings: Findings, owner: str = "node"
) -> tuple[Parameter, ...]:
    """The `parameters` list of the `owner` ("node", "detector") at `at`, each value parsed
    by its type."""
    out: list[Parameter] = []
    names: set[str] = set()
    for i, raw in enumerate(raws):
        p_at = f"{at}/parameters/{i}"
        if raw["name"] in names:
            findings.error(
                f"{p_at}/name",
                f'"{raw["name"]}" is already a parameter of this {owner}; expected unique names',
            )
        names.add(raw["name"])
        value, problem = parse_parameter(raw["type"], raw["value"])
        if problem:
            findings.error(f"{p_at}/value", problem)
        out.append(Parameter(name=raw["name"], type=raw["type"], value=value, pointer=p_at))
    return tuple(out)
