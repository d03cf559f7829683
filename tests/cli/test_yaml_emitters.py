"""libyaml's emitter writes the same bytes as PyYAML's pure-Python one (issue 11, defect 7).

`dump_yaml` uses the C emitter when PyYAML has libyaml (ten times faster on large values);
every example's values, runtime graphs and rendered objects, and awkward strings, must come
out byte for byte as the pure emitter writes them. The one difference, an empty mapping key
(`? ''` against `'':`), cannot reach our output: the loader refuses empty keys wherever a user
could write one into an object (labels, annotations, nodeSelector, resources).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infergraph.api import compile_runtime_document, compile_values
from infergraph.errors import InvalidGraph
from infergraph.helm_values import helm_values
from infergraph.loading import load, load_text
from infergraph.output import Dumper, PyDumper, dump_yaml
from infergraph.render import render_values

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
AWKWARD = {
    "booleans as text": ["yes", "no", "on", "off", "true", "~", "null", ""],
    "numbers as text": ["1", "1.10", "0x1f", "1e3", "010", ".5", "-0"],
    "indicators": ["- a", ": b", "#c", "a: b", "a #b", "@x", "`x", "'q'", '"q"', "%x", "!x"],
    "spaces": [" lead", "trail ", "two  spaces", "\ttab"],
    "lines": ["a\nb", "a\nb\n", "a\n\nb\n\n", " lead\nx", "trail \nx", "x\r\ny"],
    "unicode": ["é", "日本", "emoji 🙂", "\u2028", "\x7f", "\x00"],
    "long": ["w" * 5000, "word " * 1000, "x" * 2000 + "\n" + "y" * 2000],
    "keys": {"b": 1, "a": {"z": None, "y": [1, 2.5, True, False]}, "1": "one", "k" * 317: 1},
}


def test_the_fast_emitter_is_used_when_libyaml_is_there() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML here is built without libyaml")
    assert issubclass(Dumper, yaml.CSafeDumper)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_come_out_byte_for_byte(example: Path) -> None:
    graph = load(example)
    values = compile_values(graph)
    documents = [helm_values(values), compile_runtime_document(graph)]
    documents += render_values(values, "jsonnet")
    for document in documents:
        assert dump_yaml(document, Dumper) == dump_yaml(document, PyDumper)


@pytest.mark.parametrize("case", sorted(AWKWARD))
def test_awkward_strings_come_out_byte_for_byte(case: str) -> None:
    document = {"value": AWKWARD[case]}
    text = dump_yaml(document, Dumper)
    assert text == dump_yaml(document, PyDumper)
    assert yaml.safe_load(text) == document


def test_the_one_difference_is_an_empty_key_which_the_loader_refuses() -> None:
    document = {"": "empty"}
    fast, pure = dump_yaml(document, Dumper), dump_yaml(document, PyDumper)
    assert yaml.safe_load(fast) == yaml.safe_load(pure) == document
    graph = yaml.safe_load((ROOT / "examples" / "custom-image.yaml").read_text())
    predictor = graph["spec"]["predictors"][0]
    predictor["labels"] = {"": "x"}
    predictor["annotations"] = {"": "x"}
    predictor["graph"]["resources"] = {"limits": {"": "1"}}
    for spec in predictor.get("componentSpecs", []):
        spec["spec"]["nodeSelector"] = {"": "x"}
    with pytest.raises(InvalidGraph) as caught:
        load_text(yaml.safe_dump(graph), "g.yaml")
    empty_keys = [p.pointer for p in caught.value.problems if p.pointer.endswith("/")]
    assert len(empty_keys) >= 3 + len(predictor.get("componentSpecs", [])), caught.value
