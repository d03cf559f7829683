"""The how-to of model-server/infergraph_server/README.md, done on a copy of the repository.

Adding a prepackaged implementation takes one declaration (schemas/implementations.json) and
one module (component/prepackaged/); `make schemas` regenerates the rest. This test does exactly
that in a temporary copy and proves the result: the files stay fresh, the compiler accepts and
checks the new implementation, the server runs it, and the vocabulary tests still pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ["schemas", "tools", "docs", "jsonnet", "charts/infergraph", "generator/infergraph"]
COPIED += ["model-server/infergraph_server", "model-server/pyproject.toml", "pyproject.toml"]
COPIED += ["tests/test_vocabulary.py", "tests/test_parameter_rule.py", "tests/parameter_cases.json"]

DECLARATION = {
    "type": "TRANSFORMER",
    "description": "multiplies every input value by factor",
    "server": "scale:ScaleTransformer",
    "requires": ["numpy"],
    "protocols": ["seldon", "v2"],
    "batchable": False,
    "parameters": {
        "factor": {"type": "FLOAT", "default": 1.0, "minimum": 0, "description": "the multiplier"}
    },
}
MODULE = '''\
"""SCALE_TRANSFORMER: every input value times a factor."""

from __future__ import annotations

import numpy as np

__all__ = ["ScaleTransformer"]


class ScaleTransformer:
    """Multiplies the request's values by `factor`."""

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def transform_input(self, X: np.ndarray, features_names: list[str]) -> np.ndarray:
        """X times factor."""
        return np.asarray(X, dtype=np.float64) * self.factor
'''
CHECK = """
import asyncio, sys
import infergraph, infergraph_server
from infergraph.errors import InvalidGraph
from infergraph.loading import load_text
from infergraph_server.component.dataplane import DataPlane
from infergraph_server.settings import ComponentSettings

root = sys.argv[1]
assert infergraph.__file__.startswith(root) and infergraph_server.__file__.startswith(root)
doc = '''
apiVersion: infergraph.io/v1alpha1
kind: InferenceGraph
metadata: {name: g}
spec:
  predictors:
    - name: main
      graph:
        name: scale
        implementation: SCALE_TRANSFORMER
        parameters: [{name: factor, type: FLOAT, value: "FACTOR"}]
        children: [{name: clf, image: me/clf:1}]
'''
graph = load_text(doc.replace("FACTOR", "2"), "g.yaml")
assert graph.predictors[0].graph.type == "TRANSFORMER"
graph.compile()
try:
    load_text(doc.replace("FACTOR", "-1"), "g.yaml")
    raise SystemExit("a factor below the declared minimum loaded")
except InvalidGraph as err:
    assert "expected at least 0" in str(err), err
plane = DataPlane(ComponentSettings(
    type="TRANSFORMER", implementation="SCALE_TRANSFORMER", parameters={"factor": 2.0}
))
asyncio.run(plane.load())
plane.ready = True
out = asyncio.run(plane.transform("transform_input", {"data": {"ndarray": [[1.5, 2]]}}))
assert out["data"]["ndarray"].tolist() == [[3.0, 4.0]], out
print("ok")
"""


def _run(args: list[str], root: Path) -> subprocess.CompletedProcess[str]:
    paths = [str(root / "generator"), str(root / "model-server"), str(root / "tools")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_one_declaration_and_one_module_add_an_implementation(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for part in COPIED:
        source, target = ROOT / part, tmp_path / part
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy(source, target)
    vocabulary = tmp_path / "schemas/implementations.json"
    declared = json.loads(vocabulary.read_text())
    declared["implementations"]["SCALE_TRANSFORMER"] = DECLARATION  # 1. the declaration
    vocabulary.write_text(json.dumps(declared, indent=2) + "\n")
    module = tmp_path / "model-server/infergraph_server/component/prepackaged/scale.py"
    module.write_text(MODULE)  # 2. the module

    made = _run(["tools/generate.py"], tmp_path)  # 3. make schemas
    assert made.returncode == 0, made.stderr
    assert _run(["tools/generate.py", "--check"], tmp_path).returncode == 0
    checked = _run(["-c", textwrap.dedent(CHECK), str(tmp_path)], tmp_path)
    assert checked.returncode == 0 and checked.stdout.strip() == "ok", checked.stderr
    tests = _run(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], tmp_path)
    assert tests.returncode == 0, tests.stdout[-3000:]


def test_a_declaration_without_its_module_fails_the_server_import(tmp_path: Path) -> None:
    for part in ("model-server/infergraph_server",):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    copy = tmp_path / "model-server/infergraph_server/implementations.json"
    declared = json.loads(copy.read_text())
    declared["implementations"]["SCALE_TRANSFORMER"] = DECLARATION
    copy.write_text(json.dumps(declared))
    code = "import infergraph_server.component.prepackaged"
    result = _run(["-c", code], tmp_path)
    assert result.returncode == 1 and "infergraph_server.component.prepackaged.scale" in (
        result.stderr
    )
