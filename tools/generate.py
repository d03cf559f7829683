"""`make schemas`: write every file generated from schemas/ and defaults.py.

Outputs (each says on its first line what it is generated from, except where noted):
- from schemas/implementations.json (tools/gen_vocabulary.py): the marked enums inside
  schemas/inferencegraph.schema.json and schemas/values.schema.json (a `$comment` beside each
  says so), docs/implementations.md, and model-server/infergraph_server/implementations.json
  (a byte-equal copy, so its first line is the source's);
- model-server/infergraph_server/urls.py: generator/infergraph/urls.py behind a first line saying
  so (the URL check both distributions run; neither may import the other);
- charts/infergraph/values.schema.json: the schema helm validates values with;
- charts/infergraph/values.yaml: the compiled values of the default graph, one `# --` comment
  (the schema's description) above every key;
- the values table of charts/infergraph/README.md;
- jsonnet/defaults.libsonnet, the prototypes' defaults (tools/gen_jsonnet_defaults.py).

`--check` writes nothing and exits 1 naming every stale file (the test and CI use it).
To generate another file, add a function `(root) -> (path, text)` to OUTPUTS.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "OUTPUTS",
    "SERVER_URL_CHECK",
    "URL_CHECK",
    "chart_schema",
    "default_values",
    "main",
    "readme",
    "values_yaml",
]

JSON = Any
ROOT = Path(__file__).resolve().parents[1]
SOURCE = "schemas/values.schema.json"
GENERATED = f"Generated from {SOURCE} by tools/generate.py (make schemas); do not edit."
TABLE_START, TABLE_END = "<!-- values-table:start -->", "<!-- values-table:end -->"


def load_schema(root: Path) -> JSON:
    """The values schema as `make schemas` leaves it (its enums filled), so `--check` sees the
    chart's copy go stale together with the source."""
    from gen_vocabulary import fill_enums, read_vocabulary  # beside this script

    return json.loads(fill_enums((root / SOURCE).read_text(), read_vocabulary(root)))


def nullable(node: JSON) -> bool:
    """True when a property schema admits null (`type` list or a `oneOf` null branch)."""
    types = node.get("type")
    if types == "null" or (isinstance(types, list) and "null" in types):
        return True
    return any(nullable(branch) for branch in node.get("oneOf", []))


def chart_schema(source: JSON) -> JSON:
    """The source schema with nullable properties no longer required.

    helm deletes a key whose user value is null when the chart's values.yaml has that key, so a
    compiled `replicas: null` arrives as no `replicas`: absent and null must mean the same.
    """
    schema = {"$comment": GENERATED, **copy.deepcopy(source)}

    def relax(node: JSON) -> None:
        if isinstance(node, dict):
            props = node.get("properties", {})
            if "required" in node:
                node["required"] = [k for k in node["required"] if not nullable(props.get(k, {}))]
            for child in node.values():
                relax(child)
        elif isinstance(node, list):
            for child in node:
                relax(child)

    relax(schema)
    return schema


def default_values() -> JSON:
    """Compiled values of the default graph: one SKLEARN_SERVER model `classifier`, graph `iris`."""
    from infergraph.helm_values import chart_default_values

    return chart_default_values()


class Schema:
    """Walks values beside their schema, resolving `$ref` and nullable `oneOf` branches."""

    def __init__(self, root: JSON) -> None:
        self.root = root

    def resolve(self, node: JSON) -> JSON:
        while "$ref" in node:
            node = self.root["$defs"][node["$ref"].rsplit("/", 1)[1]]
        branches = [b for b in node.get("oneOf", []) if not nullable(b)]
        return self.resolve(branches[0]) if len(branches) == 1 else node

    def describe(self, node: JSON) -> str:
        """The property's own description, else its definition's."""
        return str(node.get("description") or self.resolve(node).get("description", ""))

    def child(self, node: JSON, key: str) -> JSON:
        node = self.resolve(node)
        found = node.get("properties", {}).get(key, node.get("additionalProperties"))
        if not isinstance(found, dict):
            raise KeyError(f"{key}: not in the schema")
        return found

    def is_ours(self, node: JSON, value: JSON) -> bool:
        """A mapping the schema describes key by key (not a Kubernetes passthrough or a map)."""
        node = self.resolve(node)
        extra = node.get("additionalProperties")
        keyed = isinstance(extra, dict) and "properties" in self.resolve(extra)
        return isinstance(value, dict) and bool(value) and ("properties" in node or keyed)

    def leaves(self, node: JSON, value: JSON, path: str = "") -> Iterator[tuple[str, JSON, JSON]]:
        """(dotted path, property schema, value) of every documented key, in values order."""
        for key, item in value.items():
            sub = self.child(node, key)
            yield f"{path}{key}", sub, item
            if self.is_ours(sub, item):
                yield from self.leaves(sub, item, f"{path}{key}.")


def flow(value: JSON) -> str:
    """One-line YAML for a scalar or a Kubernetes passthrough object."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 20)
    return text.removesuffix("\n...\n").strip()


def values_yaml(values: JSON, schema: JSON) -> str:
    walker = Schema(schema)
    lines = [f"# {GENERATED.replace(SOURCE, SOURCE + ' and the compiler')}"]

    def emit(node: JSON, value: JSON, indent: str) -> None:
        for key, item in value.items():
            sub = walker.child(node, key)
            lines.append(f"{indent}# -- {walker.describe(sub)}")
            if walker.is_ours(sub, item):
                lines.append(f"{indent}{key}:")
                emit(sub, item, indent + "  ")
            elif isinstance(item, list) and item:
                lines.append(f"{indent}{key}:")
                lines.extend(f"{indent}  - {flow(element)}" for element in item)
            else:
                lines.append(f"{indent}{key}: {flow(item)}")

    emit(schema, values, "")
    return "\n".join(lines) + "\n"


def readme(values: JSON, schema: JSON, current: str) -> str:
    """`current` with the values table between its markers replaced."""
    walker = Schema(schema)
    kind = {dict: "object", list: "list", str: "string", bool: "bool", int: "int", float: "number"}
    rows = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for path, sub, item in walker.leaves(schema, values):
        if walker.is_ours(sub, item):
            continue
        default = json.dumps(item, separators=(",", ":")).replace("|", "\\|")
        rows.append(
            f"| `{path}` | {kind.get(type(item), 'null')} | `{default}` | {walker.describe(sub)} |"
        )
    head, rest = current.split(TABLE_START, 1)
    tail = rest.split(TABLE_END, 1)[1]
    return f"{head}{TABLE_START}\n" + "\n".join(rows) + f"\n{TABLE_END}{tail}"


def _chart_schema(root: Path) -> tuple[Path, str]:
    return root / "charts/infergraph/values.schema.json", json.dumps(
        chart_schema(load_schema(root)), indent=2
    ) + "\n"


def _values(root: Path) -> tuple[Path, str]:
    return root / "charts/infergraph/values.yaml", values_yaml(default_values(), load_schema(root))


def _readme(root: Path) -> tuple[Path, str]:
    path = root / "charts/infergraph/README.md"
    return path, readme(default_values(), load_schema(root), path.read_text())


def _schema_enums(name: str) -> Callable[[Path], tuple[Path, str]]:
    def output(root: Path) -> tuple[Path, str]:
        from gen_vocabulary import fill_enums, read_vocabulary  # beside this script

        path = root / "schemas" / name
        return path, fill_enums(path.read_text(), read_vocabulary(root))

    return output


def _implementations_md(root: Path) -> tuple[Path, str]:
    from gen_vocabulary import implementations_md, read_vocabulary

    return root / "docs/implementations.md", implementations_md(read_vocabulary(root))


def _server_vocabulary(root: Path) -> tuple[Path, str]:
    from gen_vocabulary import SERVER_COPY, VOCABULARY

    return root / SERVER_COPY, (root / VOCABULARY).read_text()


URL_CHECK = "generator/infergraph/urls.py"
SERVER_URL_CHECK = "model-server/infergraph_server/urls.py"


def _server_url_check(root: Path) -> tuple[Path, str]:
    header = f"# Generated from {URL_CHECK} by tools/generate.py (make schemas); do not edit.\n"
    return root / SERVER_URL_CHECK, header + (root / URL_CHECK).read_text()


def _jsonnet_defaults(root: Path) -> tuple[Path, str]:
    from gen_jsonnet_defaults import defaults_libsonnet  # beside this script

    return root / "jsonnet/defaults.libsonnet", defaults_libsonnet()


#: Every generated file: (root) -> (path, text). Other generators append theirs here.
#: The schema enums come first: the chart schema is made from the filled values schema.
OUTPUTS: list[Callable[[Path], tuple[Path, str]]] = [
    _schema_enums("inferencegraph.schema.json"),
    _schema_enums("values.schema.json"),
    _implementations_md,
    _server_vocabulary,
    _server_url_check,
    _chart_schema,
    _values,
    _readme,
    _jsonnet_defaults,
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a file is stale")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    stale = []
    for output in OUTPUTS:
        path, text = output(args.root)
        if path.exists() and path.read_text() == text:
            continue
        if args.check:
            stale.append(str(path.relative_to(args.root)))
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(args.root)}")
    for name in stale:
        print(f"{name}: stale; run `make schemas`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
