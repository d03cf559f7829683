"""One declaration per vocabulary: schemas/implementations.json, and every reader kept to it.

The compiler reads the declaration, the schema enums and docs are generated from it
(tests/chart/test_schema.py checks they are fresh), and the server ships a copy; what cannot
be generated (type names for mypy, the server's classes) is checked against it here.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, get_args

import jsonschema
import pytest

from infergraph import model
from infergraph.vocabulary import VOCABULARY, parse_vocabulary
from infergraph_server.component import prepackaged
from infergraph_server.component.dataplane import SERVER_GPUS
from infergraph_server.component.prepackaged import PREPACKAGED
from infergraph_server.detectors import detector_class
from infergraph_server.node_types import NODE_KINDS
from infergraph_server.vocabulary import DETECTORS, IMPLEMENTATIONS, NODE_TYPES, PARAMETER_TYPES

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "schemas/implementations.json"
DECLARED = json.loads(SOURCE.read_text())
#: the implementations our server runs (the others declare a container of their own)
SERVED = [name for name, spec in VOCABULARY.implementations.items() if spec.server is not None]


def test_the_declaration_meets_its_schema() -> None:
    schema = json.loads((ROOT / "schemas/implementations.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(DECLARED)


def test_the_server_ships_a_byte_equal_copy() -> None:
    copied = ROOT / "model-server/infergraph_server/implementations.json"
    assert copied.read_bytes() == SOURCE.read_bytes(), "stale; run `make schemas`"


def test_both_sides_read_the_same_names_in_the_same_order() -> None:
    assert tuple(VOCABULARY.node_types) == NODE_TYPES == tuple(DECLARED["nodeTypes"])
    assert list(VOCABULARY.parameter_types) == list(PARAMETER_TYPES)
    assert list(IMPLEMENTATIONS) == SERVED
    for name in SERVED:
        declared = VOCABULARY.implementations[name]
        assert IMPLEMENTATIONS[name].type == declared.type
        assert IMPLEMENTATIONS[name].parameters == tuple(declared.parameters)
        gpu = declared.gpu_image
        assert (IMPLEMENTATIONS[name].gpu_image_variant, IMPLEMENTATIONS[name].gpu_extra) == (
            (None, None) if gpu is None else (gpu.variant, gpu.extra)
        )


def test_type_names_written_for_mypy_equal_the_declared() -> None:
    assert get_args(model.NodeType) == NODE_TYPES
    assert tuple(NODE_KINDS) == NODE_TYPES


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda d: d["nodeTypes"].update(SPLITTER=d["nodeTypes"]["ROUTER"]),
            "differ from NodeType",
        ),
        (lambda d: d["implementations"]["RANDOM_ABTEST"].update(type="SPLITTER"), "no node type"),
        (
            lambda d: d["implementations"]["RANDOM_ABTEST"]["parameters"]["seed"].update(
                type="LONG"
            ),
            "no parameter type",
        ),
    ],
)
def test_the_compiler_refuses_a_declaration_whose_names_do_not_resolve(
    change: Any, says: str
) -> None:
    doc = copy.deepcopy(DECLARED)
    change(doc)
    with pytest.raises(ValueError, match=says):
        parse_vocabulary(doc)


def _server_classes() -> set[type]:
    """Every public class defined in a module of the prepackaged package."""
    found = set()
    for info in pkgutil.iter_modules(prepackaged.__path__, f"{prepackaged.__name__}."):
        module = importlib.import_module(info.name)
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) and value.__module__ == module.__name__:
                found.add(value)
    return found


def test_every_server_class_is_declared_and_every_declaration_has_one() -> None:
    assert list(PREPACKAGED) == SERVED
    assert set(PREPACKAGED.values()) == _server_classes()


def test_an_implementation_has_a_server_class_or_a_container_of_its_own() -> None:
    for name, declared in VOCABULARY.implementations.items():
        assert (declared.server is None) != (declared.container is None), name
    schema = json.loads((ROOT / "schemas/implementations.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for drop in ("server", None):  # neither, then both
        doc = copy.deepcopy(DECLARED)
        spec = doc["implementations"]["SKLEARN_SERVER"]
        if drop is None:
            spec["container"] = DECLARED["implementations"]["TRITON_SERVER"]["container"]
        else:
            del spec[drop]
        assert not validator.is_valid(doc), drop


@pytest.mark.parametrize("name", SERVED)
def test_each_server_class_fits_its_declaration(name: str) -> None:
    declared, cls = VOCABULARY.implementations[name], PREPACKAGED[name]
    method = VOCABULARY.node_types[declared.type].method
    assert callable(getattr(cls, method, None)), f"{cls.__name__} has no {method}()"
    signature = dict(inspect.signature(cls).parameters)
    takes_uri = signature.pop("model_uri", None) is not None
    signature.pop(SERVER_GPUS, None)  # a server setting, like model_uri: no parameter
    assert takes_uri == (declared.model_uri is not None), "model_uri iff a modelUri is declared"
    assert list(signature) == list(declared.parameters)
    for spec in declared.parameters.values():
        default = signature[spec.name].default
        if spec.required:
            assert default is inspect.Parameter.empty, spec.name
        else:
            assert default == spec.default and type(default) is type(spec.default), spec.name


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~; \[]", d, maxsplit=1)[0] for d in requirements}


def test_what_an_implementation_requires_is_a_dependency_of_the_server_or_its_extra() -> None:
    project = tomllib.loads((ROOT / "model-server/pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for declared in VOCABULARY.implementations.values():
        dependencies = _names(project["dependencies"])
        if declared.extra is not None:
            assert declared.extra in extras, f"{declared.name}: no extra {declared.extra!r}"
            added = _names(extras[declared.extra])
            assert added <= set(declared.requires), f"{declared.name}: the extra adds {added}"
            dependencies |= added
        assert set(declared.requires) <= dependencies, declared.name


def test_an_implementation_with_an_extra_imports_nothing_of_it_at_import_time() -> None:
    """The default image lacks the extras, yet imports every server class (the registry)."""
    code = (
        "import sys, infergraph_server.component.prepackaged\n"
        "heavy = {'xgboost', 'lightgbm', 'onnxruntime', 'mlflow', 'pandas'}\n"
        "print(sorted(heavy & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_a_missing_extra_is_named_at_load() -> None:
    """What a node of an extra's implementation says where its library is not installed."""
    code = (
        "import sys; sys.modules['xgboost'] = None\n"
        "from infergraph_server.component.prepackaged.xgboost import XGBoostServer\n"
        "XGBoostServer('/nowhere').load()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert (
        'XGBOOST_SERVER: cannot import "xgboost" (import of xgboost halted; None in'
        " sys.modules); install 'infergraph-server[xgboost]' or run the image variant \"-xgboost\""
    ) in done.stderr


def test_implementation_names_appear_in_no_hand_kept_list() -> None:
    """Outside the declaration and what is made from it, no file lists the implementations."""
    made = {"schemas/implementations.json", "model-server/infergraph_server/implementations.json"}
    made |= {"docs/implementations.md"}
    names = list(DECLARED["implementations"])
    places = [ROOT / "generator/infergraph", ROOT / "model-server/infergraph_server", ROOT / "docs"]
    places += [ROOT / "README.md", ROOT / "schemas"]
    offenders = []
    for place in places:
        for path in [place] if place.is_file() else sorted(place.rglob("*")):
            if (
                not path.is_file()
                or str(path.relative_to(ROOT)) in made
                or "thirdparty" in path.parts
            ):
                continue
            if path.suffix not in (".py", ".json", ".md"):
                continue
            text = path.read_text(errors="replace")
            if _a_list(text, names) and not _generated_enums_only(path, text, names):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


def _a_list(text: str, names: list[str]) -> bool:
    """Three or more different names within a few lines: a list, not an example using some."""
    found = sorted((m.start(), m[0]) for m in re.finditer("|".join(names), text))
    return any(len({n for at, n in found if start <= at < start + 300}) >= 3 for start, _ in found)


def _generated_enums_only(path: Path, text: str, names: list[str]) -> bool:
    """A schema whose implementation names sit only in enums marked as generated."""
    if path.suffix != ".json":
        return False
    doc = json.loads(text)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            marked = str(node.get("$comment", "")).startswith("generated enum: ")
            stack.extend(v for k, v in node.items() if not (marked and k == "enum"))
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and node in names:
            return False
    return True


def test_both_sides_read_the_same_detectors() -> None:
    assert list(VOCABULARY.detectors) == list(DETECTORS) == list(DECLARED["detectors"])
    for name, declared in VOCABULARY.detectors.items():
        assert DETECTORS[name].parameters == tuple(declared.parameters)
        assert DETECTORS[name].reference_files == declared.model_uri.files


@pytest.mark.parametrize("name", list(VOCABULARY.detectors))
def test_each_detector_class_fits_its_declaration(name: str) -> None:
    declared, cls = VOCABULARY.detectors[name], detector_class(name)
    assert callable(getattr(cls, "load", None)) and callable(getattr(cls, "process", None))
    signature = dict(inspect.signature(cls).parameters)
    assert signature.pop("model_uri", None) is not None
    assert list(signature) == list(declared.parameters)
    for spec in declared.parameters.values():
        default = signature[spec.name].default
        # a declared list default is a tuple in Python (no mutable defaults)
        default = list(default) if isinstance(default, tuple) else default
        assert default == spec.default and type(default) is type(spec.default), spec.name
    requires = set(declared.requires)
    project = tomllib.loads((ROOT / "model-server/pyproject.toml").read_text())["project"]
    dependencies = {re.split(r"[<>=!~; \[]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert requires <= dependencies, name


def test_a_detector_parameter_of_an_unknown_type_is_refused() -> None:
    doc = copy.deepcopy(DECLARED)
    doc["detectors"]["DRIFT_DETECTOR"]["parameters"]["windowSize"]["type"] = "LONG"
    with pytest.raises(
        ValueError, match=r"detectors\.DRIFT_DETECTOR\.parameters\.windowSize\.type"
    ):
        parse_vocabulary(doc)
