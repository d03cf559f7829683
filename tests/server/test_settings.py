"""Component settings read parameters by the shared rule and stop start-up on a bad one."""

from __future__ import annotations

import argparse
import json
import re

import pytest

from infergraph_server.settings import ComponentSettings, SettingsError, add_component_flags


def settings(*argv: str) -> ComponentSettings:
    parser = argparse.ArgumentParser()
    add_component_flags(parser)
    return ComponentSettings.from_args(parser.parse_args(list(argv)))


def params(*items: dict[str, object]) -> str:
    return json.dumps(list(items))


def test_typed_parameters_are_read_by_their_type() -> None:
    got = settings(
        "--class", "m:C",
        "--parameters", params(
            {"name": "a", "type": "BOOL", "value": "False"},
            {"name": "b", "type": "INT", "value": " 3 "},
            {"name": "c", "type": "JSON", "value": "[1, 2]"},
        ),
    )  # fmt: skip
    assert got.parameters == {"a": False, "b": 3, "c": [1, 2]}


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"name": "flag", "type": "BOOL", "value": "yes"}, 'flag: "yes" is not a valid BOOL'),
        ({"name": "n", "type": "INT", "value": "3.7"}, 'n: "3.7" is not a valid INT'),
        ({"name": "x", "type": "FLOAT", "value": "nan"}, 'x: "nan" is not a valid FLOAT'),
        ({"name": "x", "type": "FLOAT", "value": "inf"}, 'x: "inf" is not a valid FLOAT'),
        ({"name": "j", "type": "JSON", "value": "{bad"}, 'j: "{bad" is not a valid JSON'),
        ({"name": "s", "type": "STRING", "value": 5}, "s: 5 is not a valid STRING"),
        ({"name": "t", "type": "TEXT", "value": "v"}, 't: type "TEXT" is unknown'),
        ({"name": "t", "type": "int", "value": "1"}, 't: type "int" is unknown'),
        ({"name": "u", "value": "1"}, "item 0 needs name, type and value"),
    ],
)
def test_an_unreadable_parameter_stops_start_up_naming_it(
    item: dict[str, object], says: str
) -> None:
    with pytest.raises(SettingsError, match=f"^--parameters: {re.escape(says)}"):
        settings("--class", "m:C", "--parameters", params(item))


def test_a_parameter_given_twice_is_an_error() -> None:
    twice = params(
        {"name": "a", "type": "INT", "value": "1"}, {"name": "a", "type": "INT", "value": "2"}
    )
    with pytest.raises(SettingsError, match="--parameters: a: given twice"):
        settings("--class", "m:C", "--parameters", twice)


def test_a_prepackaged_implementation_takes_only_its_declared_parameters() -> None:
    ok = settings(
        "--implementation", "RANDOM_ABTEST",
        "--parameters", params({"name": "ratioA", "type": "FLOAT", "value": "0.2"}),
    )  # fmt: skip
    assert ok.parameters == {"ratioA": 0.2}
    with pytest.raises(
        SettingsError, match='"ratio" is not a parameter of RANDOM_ABTEST; use one of: ratioA, seed'
    ):
        settings(
            "--implementation", "RANDOM_ABTEST",
            "--parameters", params({"name": "ratio", "type": "FLOAT", "value": "0.2"}),
        )  # fmt: skip


def test_the_node_type_is_one_of_the_declared() -> None:
    assert settings("--class", "m:C", "--type", "router").type == "ROUTER"
    with pytest.raises(SettingsError, match='--type: "SPLITTER" is unknown; use one of MODEL, '):
        settings("--class", "m:C", "--type", "SPLITTER")


def test_batching_flags_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert settings("--class", "m:C").max_batch_size == 0  # off unless asked for
    monkeypatch.setenv("INFERGRAPH_MAX_BATCH_SIZE", "32")
    monkeypatch.setenv("INFERGRAPH_MAX_BATCH_LATENCY_MS", "2")
    got = settings("--class", "m:C", "--max-batch-latency-ms", "0.5")
    assert (got.max_batch_size, got.max_batch_latency_ms) == (32, 0.5)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--max-batch-size", "-1"], '--max-batch-size: "-1" must be at least 0'),
        (["--max-batch-latency-ms", "0"], '--max-batch-latency-ms: "0.0" must be above 0'),
        (["--max-batch-latency-ms", "1001"], "at most 1000"),
    ],
)
def test_bad_batching_settings_name_their_flag(argv: list[str], says: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(says)):
        settings("--class", "m:C", *argv)
