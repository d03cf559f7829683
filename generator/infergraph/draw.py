"""Pictures of a graph: Mermaid and Graphviz dot text, SVG through `dot` when installed."""

from __future__ import annotations

import shutil
import subprocess

from .compile.traffic import resolve_traffic
from .errors import GraphvizError
from .model import Graph, Node, Predictor

__all__ = ["to_dot", "to_mermaid", "to_svg"]


def _node_label(node: Node) -> str:
    what = node.implementation or node.image or "custom"
    return f"{node.name}\\n{node.type} · {what}" + (f"\\n{node.gpus} GPU" if node.gpus else "")


def _predictor_label(p: Predictor, weight: int) -> str:
    return f"{p.name} (shadow)" if p.shadow else f"{p.name} {weight}%"


def _edges(prefix: str, node: Node) -> list[tuple[str, str]]:
    out = []
    for child in node.children:
        out.append((f"{prefix}_{node.name}", f"{prefix}_{child.name}"))
        out.extend(_edges(prefix, child))
    return out


def _ident(text: str) -> str:
    return text.replace("-", "_")


def to_mermaid(graph: Graph) -> str:
    weights = resolve_traffic(graph)
    lines = ["flowchart LR", f'  gateway(["{graph.name}"])']
    for p in graph.predictors:
        pid = _ident(p.name)
        lines.append(f'  subgraph {pid}["{_predictor_label(p, weights[p.name])}"]')
        for node in p.graph.walk():
            label = _node_label(node).replace("\\n", "<br/>")
            lines.append(f'    {pid}_{_ident(node.name)}["{label}"]')
        lines.append("  end")
        arrow = "-.->|mirror|" if p.shadow else f"-->|{weights[p.name]}%|"
        lines.append(f"  gateway {arrow} {pid}_{_ident(p.graph.name)}")
        lines += [f"  {_ident(a)} --> {_ident(b)}" for a, b in _edges(pid, p.graph)]
    return "\n".join(lines) + "\n"


def to_dot(graph: Graph) -> str:
    weights = resolve_traffic(graph)
    lines = [f'digraph "{graph.name}" {{', "  rankdir=LR;", "  node [shape=box];"]
    lines.append(f'  gateway [label="{graph.name}", shape=oval];')
    for p in graph.predictors:
        pid = _ident(p.name)
        lines.append(f"  subgraph cluster_{pid} {{")
        lines.append(f'    label="{_predictor_label(p, weights[p.name])}";')
        for node in p.graph.walk():
            lines.append(f'    {pid}_{_ident(node.name)} [label="{_node_label(node)}"];')
        lines.append("  }")
        style = ' [style=dashed, label="mirror"]' if p.shadow else f' [label="{weights[p.name]}%"]'
        lines.append(f"  gateway -> {pid}_{_ident(p.graph.name)}{style};")
        lines += [f"  {_ident(a)} -> {_ident(b)};" for a, b in _edges(pid, p.graph)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_svg(graph: Graph) -> str:
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizError(
            "svg needs Graphviz's `dot` on PATH (apt-get install graphviz); "
            "--format dot or mermaid need nothing"
        )
    try:
        done = subprocess.run([dot, "-Tsvg"], input=to_dot(graph), capture_output=True, text=True)
    except OSError as err:
        raise GraphvizError(f"cannot run {dot}: {err.strerror or err}") from None
    if done.returncode != 0:
        said = " ".join(done.stderr.split()) or f"exit {done.returncode}"
        raise GraphvizError(f"`dot -Tsvg` failed: {said}")
    return done.stdout
