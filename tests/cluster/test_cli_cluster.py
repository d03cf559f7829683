"""`infergraph diff` and `infergraph status` against the real API server: after `helm install`
the diff is empty (helm and jsonnet renderings alike), a graph with new weights and a new image
shows exactly those lines, a renamed predictor shows its objects as whole additions and the old
ones as deletions; status reports every Deployment ready, follows a `helm upgrade` with
`--wait`, and stays non-zero for a graph that is not installed; a user without rights gets one
"forbidden" line and exit 2."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_kind.graphs import EXAMPLES, INFERGRAPH

from infergraph.api import compile_values
from infergraph.cluster.normalize import is_hook
from infergraph.loading import load
from infergraph.render import render_values
from infergraph.render_helm import CHART_DIR

from .local import Local
from .spaces import prepare

pytestmark = pytest.mark.cluster
SPACE = "infergraph-cli"
NAME = "cli-diff"
IMAGE = "registry.example.com/iris-custom"
PREDICTOR = "infergraph.io/predictor"
COMPONENT = "app.kubernetes.io/component"
GPU = "nvidia.com/gpu"


def _graph(where: Path, main: int = 75, other: int = 25, tag: str = "0.1.0",
           second: str = "canary") -> Path:  # fmt: skip
    """A two-predictor graph: `main` runs an image of its own, the second a prepackaged server."""
    graph = {
        "apiVersion": "infergraph.io/v1alpha1",
        "kind": "InferenceGraph",
        "metadata": {"name": NAME},
        "spec": {"predictors": [
            {"name": "main", "traffic": main,
             "graph": {"name": "classifier", "type": "MODEL",
                       "modelUri": "pvc://infergraph-models/iris"},
             "componentSpecs": [{"spec": {"containers": [
                 {"name": "classifier", "image": f"{IMAGE}:{tag}"}]}}]},
            {"name": second, "traffic": other,
             "graph": {"name": "classifier", "implementation": "SKLEARN_SERVER",
                       "modelUri": "pvc://infergraph-models/iris-v2"}},
        ]},
    }  # fmt: skip
    path = where / f"graph-{main}-{tag}-{second}.yaml"
    path.write_text(yaml.safe_dump(graph))
    return path


def _cli(api: Local, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return api.run(INFERGRAPH, *args, "--namespace", SPACE, check=False)


def _objects(source: Path) -> dict[str, dict[str, Any]]:
    """The objects an apply of `source` makes (hooks left out), by diff title."""
    rendered = render_values(compile_values(load(source)), "helm", SPACE)
    return {f"{o['kind']} {SPACE}/{o['metadata']['name']}": o for o in rendered if not is_hook(o)}


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = obj["metadata"]["labels"]
    return labels


def _edits(diff: str) -> list[tuple[str, str]]:
    """The diff's removed and added lines as (sign, text), headers left out, sorted."""
    return sorted(
        (line[0], line[1:].strip())
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    )


def _headers(diff: str) -> list[tuple[str, str]]:
    """(from, to) of each object's diff."""
    lines = diff.splitlines()
    return [(lines[i][4:], lines[i + 1][4:]) for i, ln in enumerate(lines) if ln.startswith("--- ")]


@pytest.fixture
def installed(api: Local, tmp_path: Path) -> Iterator[Path]:
    """The two-predictor graph installed with helm into its own namespace."""
    prepare(api, SPACE)
    source = _graph(tmp_path)
    values = tmp_path / "values.yaml"
    api.run(INFERGRAPH, "compile", source, "--to", "values", "-o", values)
    api.helm("install", NAME, CHART_DIR, "-n", SPACE, "-f", values, "--wait", "--timeout", "5m")
    try:
        yield source
    finally:
        api.helm("uninstall", NAME, "-n", SPACE, "--ignore-not-found", "--wait")


def _by_object(diff: str) -> dict[str, list[tuple[str, str]]]:
    """Each changed object's edits (`_edits`), by its title."""
    found: dict[str, list[tuple[str, str]]] = {}
    for part in diff.split("\n--- ")[0:]:
        title = part.removeprefix("--- ").split(" (live)")[0]
        found[title] = _edits(part)
    return found


def test_diff_is_empty_after_install_then_shows_exactly_what_changed(
    api: Local, installed: Path, tmp_path: Path
) -> None:
    for engine in ("helm", "jsonnet"):
        same = _cli(api, "diff", installed, "--engine", engine)
        assert (same.returncode, same.stdout) == (0, ""), same.stderr
        assert "infergraph diff: no changes" in same.stderr

    weights = _cli(api, "diff", _graph(tmp_path, main=40, other=60))
    assert weights.returncode == 1, weights.stderr
    assert _by_object(weights.stdout) == {
        f"VirtualService {SPACE}/{NAME}": sorted([
            ("-", "weight: 75"), ("+", "weight: 40"), ("-", "weight: 25"), ("+", "weight: 60"),
        ])
    }  # fmt: skip

    image = _cli(api, "diff", _graph(tmp_path, tag="0.2.0"))
    assert image.returncode == 1, image.stderr
    main = {t: o for t, o in _objects(installed).items() if _labels(o).get(PREDICTOR) == "main"}
    (runtime_graph,) = [t for t, o in main.items() if o["kind"] == "ConfigMap"]
    (orchestrator,) = [t for t, o in main.items() if o["kind"] == "Deployment"
                       and _labels(o)[COMPONENT] == "orchestrator"]  # fmt: skip
    (node,) = [t for t, o in main.items() if o["kind"] == "Deployment" and t != orchestrator]
    found = _by_object(image.stdout)
    assert list(found) == [runtime_graph, orchestrator, node]
    # the node's image; the runtime graph that names it; the hash that rolls the orchestrator
    assert found[node] == [("+", f"image: {IMAGE}:0.2.0"), ("-", f"image: {IMAGE}:0.1.0")]
    (new_graph, old_graph) = found[runtime_graph]
    assert old_graph[1].replace(f"{IMAGE}:0.1.0", f"{IMAGE}:0.2.0") == new_graph[1] != old_graph[1]
    assert [(sign, text.split(":")[0]) for sign, text in found[orchestrator]] == [
        ("+", "infergraph.io/config-hash"), ("-", "infergraph.io/config-hash"),
    ]  # fmt: skip
    assert "3 to change, 0 to add, 0 to delete" in image.stderr


def test_diff_shows_new_objects_as_additions_and_dropped_ones_as_deletions(
    api: Local, installed: Path, tmp_path: Path
) -> None:
    renamed = _graph(tmp_path, second="blue")
    before, after = _objects(installed), _objects(renamed)
    done = _cli(api, "diff", renamed)
    assert done.returncode == 1, done.stderr
    headers = _headers(done.stdout)
    added = {to.removesuffix(" (after apply)") for old, to in headers if old == "/dev/null"}
    deleted = {old.removesuffix(" (live)") for old, to in headers if to == "/dev/null"}
    assert added == set(after) - set(before) and added
    assert deleted == set(before) - set(after) and deleted
    assert all(_labels(before[t])[PREDICTOR] == "canary" for t in deleted)
    changes = len(headers) - len(added) - len(deleted)
    assert f"{changes} to change, {len(added)} to add, {len(deleted)} to delete" in done.stderr


def test_status_reports_ready_rollouts_and_waits_for_an_upgrade(
    api: Local, installed: Path, tmp_path: Path
) -> None:
    deployments = [o for o in _objects(installed).values() if o["kind"] == "Deployment"]
    done = _cli(api, "status", installed)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = done.stdout.splitlines()[1:]
    assert len(rows) == len(deployments)
    assert all(" 1/1 " in row and "Progressing=True NewReplicaSetAvailable" in row for row in rows)

    upgraded = _graph(tmp_path, tag="0.2.0")
    values = tmp_path / "upgrade.yaml"
    api.run(INFERGRAPH, "compile", upgraded, "--to", "values", "-o", values)
    api.helm("upgrade", NAME, CHART_DIR, "-n", SPACE, "-f", values)  # no --wait: status waits
    waited = _cli(api, "status", upgraded, "--wait", "--timeout", "3m")
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert f"{IMAGE}:0.2.0" in waited.stdout and f"{IMAGE}:0.1.0" not in waited.stdout


def test_status_shows_the_gpus_of_a_node_placed_on_the_gpu_node(api: Local, tmp_path: Path) -> None:
    prepare(api, SPACE)
    source = EXAMPLES / "gpu-model.yaml"
    values = tmp_path / "values.yaml"
    api.run(INFERGRAPH, "compile", source, "--to", "values", "-o", values)
    name = yaml.safe_load(values.read_text())["name"]
    api.helm("install", name, CHART_DIR, "-n", SPACE, "-f", values, "--wait", "--timeout", "5m")
    try:
        done = _cli(api, "status", source)
    finally:
        api.helm("uninstall", name, "-n", SPACE, "--ignore-not-found", "--wait")
    assert done.returncode == 0, done.stdout + done.stderr
    header, *rows = (re.split(r"\s{2,}", line) for line in done.stdout.splitlines())
    shown = {(r[0], r[1]): r[header.index("GPUS")] for r in rows}
    wanted = {
        (_labels(o)[PREDICTOR], _labels(o).get("infergraph.io/node", "orchestrator")): str(
            sum(int(c["resources"].get("limits", {}).get(GPU, 0))
                for c in o["spec"]["template"]["spec"]["containers"])
        )
        for o in _objects(source).values() if o["kind"] == "Deployment"
    }  # fmt: skip
    assert shown == wanted and "1" in wanted.values()


def test_status_of_a_graph_not_installed_stays_pending(api: Local, tmp_path: Path) -> None:
    prepare(api, SPACE)
    absent = _graph(tmp_path, second="never")
    text = absent.read_text().replace(f"name: {NAME}", "name: cli-absent")
    absent.write_text(text)
    done = _cli(api, "status", absent)
    assert done.returncode == 1 and "not in the cluster" in done.stdout
    waited = _cli(api, "status", absent, "--wait", "--timeout", "2s")
    assert waited.returncode == 1
    assert waited.stderr.strip().endswith("rollouts not done after 2 s")


def test_a_user_without_rights_gets_one_forbidden_line(api: Local, tmp_path: Path) -> None:
    prepare(api, SPACE)
    account = "infergraph-cli-nobody"
    api.apply({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": account, "namespace": SPACE}})  # fmt: skip
    token = api.kubectl("create", "token", account, "-n", SPACE).stdout.strip()
    admin = yaml.safe_load(api.paths.kubeconfig.read_text())
    admin["users"] = [{"name": account, "user": {"token": token}}]
    for context in admin["contexts"]:
        context["context"]["user"] = account
    config = tmp_path / "nobody.kubeconfig"
    config.write_text(yaml.safe_dump(admin))
    done = _cli(api, "diff", _graph(tmp_path), "--kubeconfig", config)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("infergraph diff: ") and ": forbidden: " in line, line
    assert f'User "system:serviceaccount:{SPACE}:{account}" cannot get' in line
