"""Any input gives located problems, never a traceback: syntax, encoding, shape, size."""

from __future__ import annotations

from pathlib import Path

import pytest

from infergraph.errors import InvalidGraph
from infergraph.loading import load, load_text
from infergraph.loading.reader import MAX_DEPTH, MAX_NODES

from .docs import dump, native


def messages(text: str) -> list[str]:
    with pytest.raises(InvalidGraph) as caught:
        load_text(text, "g.yaml")
    return [str(p) for p in caught.value.problems]


LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6)
)

CASES = {
    "syntax": (
        "kind: [InferenceGraph\n",
        "g.yaml:2:1: invalid YAML: while parsing a flow sequence did not find expected ',' or ']'",
    ),
    "duplicate key": (
        "kind: a\nkind: b\n",
        'g.yaml:2:1: duplicate key "kind"; expected each key once',
    ),
    "tab indentation": (
        "a:\n\t- b\n",
        "g.yaml:2:1: invalid YAML: while scanning for the next token "
        "found character that cannot start any token",
    ),
    "binary junk": (
        "\x00\x01\x02",
        "g.yaml:1:1: invalid YAML: control characters are not allowed (character '\\x00')",
    ),
    "unsupported tag": (
        "a: !!python/object:os.system x\n",
        "g.yaml:1:4: unsupported tag tag:yaml.org,2002:python/object:os.system; "
        "expected plain YAML values",
    ),
    "binary tag": (
        "a: !!binary aGk=\n",
        "g.yaml:1:4: unsupported tag tag:yaml.org,2002:binary; expected plain YAML values",
    ),
    "huge number": (
        "a: " + "9" * 5000 + "\n",
        'g.yaml:1:4: cannot read "99999999999999999999" as int; '
        "expected a valid int of at most 4300 digits",
    ),
    "huge JSON number": (
        '{"a": ' + "9" * 5000 + "}",
        'g.yaml:1:7: cannot read "99999999999999999999" as int; '
        "expected a valid int of at most 4300 digits",
    ),
    "duplicate JSON key": (
        '{"kind": 1, "kind": 2}',
        'g.yaml:1:13: duplicate key "kind"; expected each key once',
    ),
    "recursive alias": ("- &a [*a]\n", "g.yaml:1:3: an alias refers to a value that contains it"),
    "alias expansion": (
        LAUGHS,
        f"g.yaml:5:4: document too large; expected at most {MAX_NODES} values",
    ),
    "deep nesting": (
        "[" * 150 + "]" * 150,
        f"g.yaml:1:{MAX_DEPTH + 1}: nested too deeply; expected at most {MAX_DEPTH} levels",
    ),
    "two documents": (
        "a: 1\n---\nb: 2\n",
        "g.yaml:2:1: invalid YAML: more than one document; expected a single YAML document",
    ),
    "non-string key": ("? [a]\n: b\n", "g.yaml:1:3: a mapping key must be a plain string"),
    "empty": (
        "",
        "g.yaml:1:1: the document is empty; "
        "expected a mapping with apiVersion, kind, metadata, spec",
    ),
    "scalar": (
        "42\n",
        "g.yaml:1:1: the document is an integer; "
        "expected a mapping with apiVersion, kind, metadata, spec",
    ),
    "no kind": (
        "a: 1\n",
        "g.yaml:1:1: /kind: required field is missing; "
        "expected one of: InferenceGraph, SeldonDeployment",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_unreadable_input(case: str) -> None:
    text, expected = CASES[case]
    assert messages(text) == [expected]


def test_aliases_within_limits_are_expanded() -> None:
    text = dump(native()).replace("metadata:\n  name: iris", "metadata: &m\n  name: iris")
    text += "  x: *m\n"
    assert messages(text) == [
        'g.yaml:12:3: /spec/x: "x" is not a supported field; supported: detectors, gatewayApi, '
        "images, istio, logging, networkPolicy, podDisruptionBudget, predictors, protocol, "
        "serviceMonitor, tracing, transport"
    ]


def test_yaml_keys_stay_as_written() -> None:
    """YAML 1.1 would read `on:` as true; a key is always the text written."""
    text = dump(native()) + "  on: 1\n"
    assert messages(text)[0].startswith('g.yaml:12:3: /spec/on: "on" is not a supported field')


def test_json_and_yaml_give_the_same_positions(tmp_path: Path) -> None:
    doc = native()
    doc["spec"]["predictors"][0]["graph"]["modelUri"] = "ftp://x"
    (tmp_path / "g.json").write_text(dump(doc, "json"))
    with pytest.raises(InvalidGraph) as caught:
        load(tmp_path / "g.json")
    assert str(caught.value).startswith(
        f"{tmp_path / 'g.json'}:14:11: /spec/predictors/0/graph/modelUri:"
    )


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(InvalidGraph) as caught:
        load(tmp_path / "nope.yaml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory"
    )
    (tmp_path / "latin1.yaml").write_bytes(b"kind: x\nname: caf\xe9\n")
    with pytest.raises(InvalidGraph) as caught:
        load(tmp_path / "latin1.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'latin1.yaml'}:2:10: byte 17 is not UTF-8; expected a UTF-8 YAML or JSON file"
    )


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "g.yaml").write_bytes(b"\xef\xbb\xbf" + dump(native()).encode())
    assert load(tmp_path / "g.yaml").name == "iris"
