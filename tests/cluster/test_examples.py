"""Every example meets the real API server in a namespace enforcing the restricted profile:
`helm install --wait` of its compiled values rolls out (pods placed by the real scheduler, made
Ready by kwok), `helm uninstall` leaves no object with its labels, and the jsonnet output
passes a server-side dry-run apply, Istio, Gateway API and ServiceMonitor objects validated by
their CRDs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from e2e_kind.graphs import EXAMPLES, INFERGRAPH, compile_graph, helm_release, leftovers_after
from e2e_kind.kube import Kube
from e2e_kind.objects import NAMESPACE, namespace

from .provider import Capability
from .spaces import prepare, volumes_for_claims

pytestmark = pytest.mark.cluster
GRAPHS = sorted(EXAMPLES.glob("*.yaml"))


def _corpus() -> Path:
    """The shared corpus beside the checkout (as tests/validation finds it), or beside the main
    checkout when this one is a git worktree elsewhere."""
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=EXAMPLES, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    checkouts = [EXAMPLES.parent, *([Path(common).parent] if common else [])]
    found = [c.parent / "shared" / "corpus" / "seldondeployments" for c in checkouts]
    return next((f for f in found if f.is_dir()), found[0])


CORPUS = _corpus()


@pytest.mark.needs(Capability.ANY_IMAGE)
@pytest.mark.parametrize("example", GRAPHS, ids=lambda p: p.stem)
def test_helm_install_waits_for_every_rollout_and_uninstall_leaves_nothing(
    cluster: Kube, example: Path, tmp_path: Path
) -> None:
    graph = compile_graph(cluster, example, tmp_path)
    prepare(cluster, graph.namespace)
    volumes_for_claims(cluster, graph)
    with helm_release(cluster, graph):
        where = ("-n", graph.namespace)
        status = json.loads(cluster.helm("status", graph.name, *where, "-o", "json").stdout)
        assert status["info"]["status"] == "deployed"
        selector = f"app.kubernetes.io/instance={graph.name}"
        out = cluster.kubectl("get", "deployments", *where, "-l", selector, "-o", "json")
        deployments = json.loads(out.stdout)["items"]
        assert deployments, f"{graph.name}: no Deployment carries {selector}"
        for d in deployments:
            assert d["status"].get("readyReplicas") == d["spec"]["replicas"], d["metadata"]["name"]
    assert leftovers_after(cluster, graph) == []


def _server_side_dry_run(cluster: Kube, source: Path, engine: str) -> None:
    """`infergraph render` piped to `kubectl apply --server-side --dry-run=server`: every object
    accepted, and no PodSecurity warning (workloads are checked against the enforced profile)."""
    rendered = cluster.run(
        INFERGRAPH, "render", source, "--engine", engine, "--namespace", NAMESPACE
    )
    objects = [o for o in yaml.safe_load_all(rendered.stdout) if o]
    # A dry run creates nothing, so the helm test Pod's ServiceAccount would be missing for its
    # admission: the ServiceAccounts are created for real first and deleted after.
    # A graph may name its own namespace (production: "models"); it enforces restricted too.
    spaces = {o["metadata"].get("namespace", NAMESPACE) for o in objects}
    cluster.apply(*(namespace(n) for n in spaces))
    accounts = yaml.safe_dump_all([o for o in objects if o["kind"] == "ServiceAccount"])
    cluster.kubectl("apply", "-f", "-", stdin=accounts)
    try:
        done = cluster.kubectl(
            "apply", "--server-side", "--dry-run=server", "-f", "-",
            stdin=rendered.stdout,
        )  # fmt: skip
    finally:
        cluster.kubectl("delete", "--ignore-not-found", "-f", "-", stdin=accounts)
    assert len(done.stdout.splitlines()) == len(objects), done.stdout
    assert "PodSecurity" not in done.stderr, done.stderr


@pytest.mark.needs(Capability.ALL_CRDS)
@pytest.mark.parametrize("example", GRAPHS, ids=lambda p: p.stem)
def test_jsonnet_output_passes_a_server_side_dry_run_apply(cluster: Kube, example: Path) -> None:
    _server_side_dry_run(cluster, example, "jsonnet")


@pytest.mark.needs(Capability.ALL_CRDS)
def test_every_corpus_seldondeployment_that_compiles_passes_a_server_side_dry_run(
    cluster: Kube,
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"SeldonDeployment corpus not found at {CORPUS}")
    compiled = []
    for source in sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".json")):
        if cluster.run(INFERGRAPH, "validate", source, check=False).returncode == 0:
            _server_side_dry_run(cluster, source, "helm")
            compiled.append(source.name)
    assert compiled, f"no SeldonDeployment in {CORPUS} compiles"
