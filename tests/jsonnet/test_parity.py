"""helm template and the jsonnet library render the same objects from the same values.

Values documents: the chart's values.yaml, the prototypes' values and every compiled example.
Only the two labels helm adds (helm.sh/chart, app.kubernetes.io/managed-by) are ignored.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
import yaml

from infergraph.compile import compile_values
from infergraph.helm_values import helm_values
from infergraph.loading import load, load_text
from infergraph.output import dump_yaml
from infergraph.render_helm import CHART_DIR, render_helm
from infergraph.render_jsonnet import evaluate, render_jsonnet

from .test_prototypes import CASES, LIB

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "examples").glob("*.yaml"))
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/managed-by")


def _without_helm_labels(obj: Any) -> Any:
    """The object with the helm-added labels removed from every `metadata.labels`."""
    if isinstance(obj, dict):
        out = {k: _without_helm_labels(v) for k, v in obj.items()}
        metadata = out.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        if isinstance(labels, dict):
            for key in HELM_LABELS:
                labels.pop(key, None)
        return out
    if isinstance(obj, list):
        return [_without_helm_labels(v) for v in obj]
    return obj


def _by_identity(objects: list[Any]) -> dict[tuple[str, str], Any]:
    return {(o["kind"], o["metadata"]["name"]): _without_helm_labels(o) for o in objects}


def assert_parity(values: Any, namespace: str = "models") -> None:
    """Equal object sets; on a mismatch, a unified diff per differing object."""
    helm = _by_identity(render_helm(values, namespace))
    jsonnet = _by_identity(render_jsonnet(values, namespace))
    report = []
    for key in sorted(set(helm) | set(jsonnet)):
        if helm.get(key) == jsonnet.get(key):
            continue
        left = dump_yaml(helm[key]) if key in helm else "(absent)\n"
        right = dump_yaml(jsonnet[key]) if key in jsonnet else "(absent)\n"
        diff = difflib.unified_diff(
            left.splitlines(), right.splitlines(), "helm", "jsonnet", lineterm=""
        )
        report.append(f"{key[0]} {key[1]}:\n" + "\n".join(diff))
    assert not report, "helm and jsonnet objects differ:\n\n" + "\n\n".join(report)


def test_chart_values_yaml() -> None:
    assert_parity(yaml.safe_load((CHART_DIR / "values.yaml").read_text()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_prototype_values(case: str) -> None:
    assert_parity(evaluate(LIB + CASES[case][0], binding="gojsonnet"))


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_prototype_graphs(case: str) -> None:
    """The compiler's values for the same graphs, all optional objects switched on."""
    values = compile_values(CASES[case][1])
    values["networkPolicy"]["enabled"] = True
    values["serviceMonitor"]["enabled"] = True
    values["istio"] |= {"peerAuthentication": True, "timeout": "5s"}
    values["istio"]["authorizationPolicy"] = {
        "enabled": True,
        "principals": ["cluster.local/ns/a/sa/b"],
    }
    assert_parity(values)


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples(example: str) -> None:
    assert_parity(compile_values(load(ROOT / "examples" / example)))


def test_values_written_for_helm() -> None:
    """`compile --to values` output, with nulls for the chart's default graph, renders alike."""
    values = compile_values(load(ROOT / "examples" / "ab-test.yaml"))
    for_helm = helm_values(values)
    assert for_helm["predictors"]["main"]["nodes"]["classifier"] is None
    for binding in ("gojsonnet", "jsonnet"):
        assert render_jsonnet(for_helm, binding=binding) == render_jsonnet(values), binding


@pytest.mark.parametrize("length", [53, 54, 63])
def test_graph_names_past_helms_release_limit(length: int) -> None:
    """helm caps release names at 53; names of up to 63 render alike (issue 11, defect 6)."""
    text = (ROOT / "examples" / "ab-test.yaml").read_text()
    name = ("g-" * 32)[: length - 1] + "z"
    assert_parity(compile_values(load_text(text.replace("name: iris-ab", f"name: {name}"), "x")))


def test_gateway_api_without_shadow_hostnames_section_or_timeout() -> None:
    """The optional parts of the routes left out alike (the example has them all)."""
    text = (ROOT / "examples" / "canary-75-25.yaml").read_text()
    gateway_api = (
        "spec:\n  gatewayApi:\n    enabled: true\n    parentRefs: [{name: gw, namespace: edge}]\n"
    )
    values = compile_values(load_text(text.replace("spec:\n", gateway_api), "x"))
    assert values["gatewayApi"]["enabled"] and values["gatewayApi"]["timeouts"] is None
    values["networkPolicy"]["enabled"] = True
    assert_parity(values)
