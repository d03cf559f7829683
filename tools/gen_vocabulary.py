"""Files made from schemas/implementations.json, the one declaration of the node vocabulary.

- the enums of the JSON schemas: every object whose `$comment` reads
  `generated enum: <list> of schemas/implementations.json (make schemas)`, followed by its `enum`,
  gets the names of that list (`nodeTypes`, `parameterTypes`, `implementations` or
  `detectors`), in order;
- docs/implementations.md: one section per implementation, for users;
- model-server/infergraph_server/implementations.json: a byte-equal copy the server ships.

Used by tools/generate.py (`make schemas`); reads the repository's files only, so it works on
any `--root`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = [
    "SERVER_COPY",
    "VOCABULARY",
    "fill_enums",
    "implementations_md",
    "read_vocabulary",
]

JSON = Any
VOCABULARY = "schemas/implementations.json"
SERVER_COPY = "model-server/infergraph_server/implementations.json"
_MARK = "generated enum: {} of schemas/implementations.json (make schemas)"
_SITE = re.compile(
    r'("\$comment": "' + re.escape(_MARK).replace(r"\{\}", r"(\w+)") + r'",\s*"enum":\s*)\[[^\]]*\]'
)


def read_vocabulary(root: Path) -> JSON:
    return json.loads((root / VOCABULARY).read_text())


def _marked(node: JSON) -> list[JSON]:
    """Every object of a schema with a generated-enum `$comment`."""
    if isinstance(node, list):
        return [found for item in node for found in _marked(item)]
    if not isinstance(node, dict):
        return []
    here = [node] if str(node.get("$comment", "")).startswith("generated enum: ") else []
    return here + [found for value in node.values() for found in _marked(value)]


def fill_enums(text: str, vocabulary: JSON) -> str:
    """The schema `text` with every marked enum set to its list's names, layout kept.

    A file written as `json.dumps(indent=2)` stays so; a hand-laid one changes only inside the
    brackets of each marked enum.
    """
    canonical = text == json.dumps(json.loads(text), indent=2) + "\n"
    filled = _SITE.sub(lambda m: m[1] + json.dumps(list(vocabulary[m[2]])), text)
    doc = json.loads(filled)
    for node in _marked(doc):
        listed = node["$comment"].split()[2]
        if node.get("enum") != list(vocabulary.get(listed, [None])):
            raise ValueError(f'{node["$comment"]}: expected `"enum": [...]` right after it')
    return json.dumps(doc, indent=2) + "\n" if canonical else filled


def _range(spec: JSON) -> str:
    low, high = spec.get("minimum"), spec.get("maximum")
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}"
    if "enum" in spec:
        return ", ".join(f"`{json.dumps(choice)}`" for choice in spec["enum"])
    return "" if high is None else f"at most {high}"


def implementations_md(vocabulary: JSON) -> str:
    """docs/implementations.md: node types, parameter types and every implementation."""
    lines = [
        f"<!-- Generated from {VOCABULARY} by tools/generate.py (make schemas); do not edit. -->",
        "# Node types and prepackaged implementations",
        "",
        "Declared once in `schemas/implementations.json`; the schemas' enums, the compiler's rules",
        "and the server's registry follow it. To add an implementation, see",
        "`model-server/infergraph_server/README.md`.",
        "",
        "## Node types",
        "",
        "| type | children | calls | batching | what it does |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, spec in vocabulary["nodeTypes"].items():
        lines.append(
            f"| `{name}` | {_children(spec['children'])} | `{spec['method']}` "
            f"| {'may batch' if spec['batches'] else 'never'} | {spec['description']} |"
        )
    lines += ["", "## Parameter types", "", "| type | a value must be |", "| --- | --- |"]
    for name, spec in vocabulary["parameterTypes"].items():
        lines.append(f"| `{name}` | {spec['expected']} |")
    lines += ["", 'How each is read: docs/contract.md, "Parameters".']
    for name, spec in vocabulary["implementations"].items():
        lines += ["", f"## {name}", "", f"{spec['type']}: {spec['description']}.", ""]
        children = spec.get("children", vocabulary["nodeTypes"][spec["type"]]["children"])
        lines.append(f"- children: {_children(children)}")
        lines.append(f"- protocols: {', '.join(spec['protocols'])}")
        if spec["batchable"]:
            lines.append("- batching: yes (row-wise; a node with `batching` merges requests)")
        uri = spec.get("modelUri")
        if uri is None:
            lines.append("- modelUri: none (it loads no model)")
        else:
            need = "required" if uri["required"] else "optional"
            files = ", ".join(f"`{f}`" for f in uri["files"])
            lines.append(f"- modelUri: {need}; {uri['holds']}" + (f" ({files})" if files else ""))
        own = spec.get("container")
        if own is None:
            lines.append(f"- server: `infergraph_server.component.prepackaged.{spec['server']}`")
            if "extra" in spec:
                lines.append(f"- install: `pip install 'infergraph-server[{spec['extra']}]'`")
            variant = spec.get("image", {}).get("variant")
            image = "the default server image" if variant is None else f"the `-{variant}` variant"
            lines.append(f"- image: {image} (`make images` builds the variants)")
            if gpu := spec.get("image", {}).get("gpu"):
                lines.append(
                    f"- image of a node with an `nvidia.com/gpu` limit: the `-{gpu['variant']}`"
                    f" variant (`pip install 'infergraph-server[{gpu['extra']}]'` in place of"
                    f" `[{spec['extra']}]`; `make images VARIANTS={gpu['variant']}` builds it)"
                )
        else:
            flags = " ".join(f"`{flag}=<{setting}>`" for setting, flag in own["flags"].items())
            lines.append(
                f"- container: image `{own['image']}` (not ours; a node's `image` or the graph's "
                f"`spec.images` overrides it), args `{' '.join(own['args'])}` {flags}"
            )
        lines += _parameter_table(spec["parameters"])
    lines += [
        "",
        "# Detectors",
        "",
        "Not graph nodes: servers fed the payload-log stream (Seldon's CloudEvents), declared in",
        "a graph's `spec.detectors` and reached by a logger url `detector:NAME`. Each exposes",
        "Prometheus metrics and may send an event per finding to its `eventsUrl`.",
    ]
    for name, spec in vocabulary["detectors"].items():
        uri = spec["modelUri"]
        files = ", ".join(f"`{f}`" for f in uri["files"])
        lines += ["", f"## {name}", "", f"{spec['description']}.", ""]
        lines.append(f"- modelUri: required; {uri['holds']} ({files})")
        lines.append(f"- server: `infergraph_server.detectors.{spec['server']}`")
        lines += _parameter_table(spec["parameters"])
    return "\n".join(lines) + "\n"


def _parameter_table(parameters: JSON) -> list[str]:
    if not parameters:
        return []
    lines = [
        "",
        "| parameter | type | default | range | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for param, p in parameters.items():
        default = f"`{json.dumps(p['default'])}`" if "default" in p else "required"
        lines.append(f"| `{param}` | {p['type']} | {default} | {_range(p)} | {p['description']} |")
    return lines


def _children(rule: JSON) -> str:
    low, high = rule["minimum"], rule.get("maximum")
    if low == high:
        return f"exactly {low}"
    if high is None:
        return "any number" if low == 0 else f"at least {low}"
    return f"{low} to {high}"
