"""`infergraph` on Gateway API graphs: a bad one names every problem with its line, exit 1; the
example renders and validates through both engines."""

from __future__ import annotations

from pathlib import Path

from .test_cli import EXAMPLES, run

BOTH_ROUTERS = """\
apiVersion: infergraph.io/v1alpha1
kind: InferenceGraph
metadata:
  name: iris
spec:
  istio:
    enabled: true
  gatewayApi:
    enabled: true
    parentRefs:
      - name: gw
        namespace: Edge
  predictors:
    - name: main
      graph:
        name: clf
        implementation: SKLEARN_SERVER
        modelUri: gs://bucket/iris
"""


def test_both_routers_and_a_bad_namespace_are_reported_together(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BOTH_ROUTERS)
    done = run("render", bad, "--validate", "-o", tmp_path / "out")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert [line.split(" is ")[0].split(" true ")[0] for line in done.stderr.splitlines()] == [
        f"{bad}:9:5: /spec/gatewayApi/enabled:",
        f'{bad}:12:9: /spec/gatewayApi/parentRefs/0/namespace: "Edge"',
    ]
    assert "while /spec/istio/enabled is true too" in done.stderr
    assert not (tmp_path / "out").exists()


def test_example_renders_and_validates_with_both_engines(tmp_path: Path) -> None:
    example = EXAMPLES / "canary-gateway-api.yaml"
    for engine in ("helm", "jsonnet"):
        out = tmp_path / engine
        done = run("render", example, "--engine", engine, "--validate", "-o", out)
        assert done.returncode == 0, done.stderr
        names = sorted(p.name for p in out.glob("*route-*.yaml"))
        assert names == ["grpcroute-iris-gateway-api.yaml", "httproute-iris-gateway-api.yaml"]
        assert not list(out.glob("virtualservice-*")) and not list(out.glob("destinationrule-*"))
