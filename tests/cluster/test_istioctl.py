"""Istio's own checks on our objects: `istioctl analyze` finds no error or warning in any
example's rendered files (helm and jsonnet, `--use-kube=false`) nor in the cluster once the
example is installed and its pods made (but for the open defects OPEN_FINDINGS lists, exactly),
and Istio's base chart installs with the settings the kind tier gives it.

istioctl and the chart come from the `istio.io/istio` module (istio.py says which version);
the tests skip with one reason line where istioctl is not cached (`make istioctl`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from e2e_kind.graphs import EXAMPLES, INFERGRAPH, Graph, compile_graph, helm_release
from e2e_kind.kube import wait_for
from e2e_kind.objects import NAMESPACE, istio_gateway
from e2e_kind.platform import ISTIO_BASE_RELEASE, ISTIO_BASE_SETTINGS, ISTIO_NAMESPACE

from infergraph.compile.mesh import INJECT_LABEL
from infergraph.defaults import ISTIO_GATEWAYS

from .crds import crd_files
from .istio import ISTIOCTL_NOT_BUILT, Istio, istio
from .istiod import sidecar_injector
from .local import REPO, Local, paths
from .provider import NOT_BUILT
from .spaces import prepare

GRAPHS = sorted(EXAMPLES.glob("*.yaml"))
ENGINES = ("helm", "jsonnet")
# the cluster-scoped objects of the base chart that carry the settings
DEFAULT_VALIDATOR = "istiod-default-validator"
# Findings on the cluster that are open defects, not analyzer limitations: asserted exactly, so
# a new finding fails and so does a fixed one (then delete its line). tests/e2e_kind/README.md,
# "istioctl analyze", says why each was there. None is open: production's IST0127 (its
# AuthorizationPolicy matched no pod in the mesh) ended when its pods joined the mesh.
OPEN_FINDINGS: dict[str, list[str]] = {}
# The containers Istio's injection adds on a platform with its CNI plugin: the proxy, and an
# unprivileged init container that checks the plugin's redirection (without the plugin it is
# `istio-init`, with NET_ADMIN and NET_RAW as root, which the restricted profile refuses).
SIDECAR, CNI_CHECK, PRIVILEGED_INIT = "istio-proxy", "istio-validation", "istio-init"


@pytest.fixture(scope="session")
def istioctl() -> Istio:
    """The cached istioctl; every test that needs it skips, with one reason, where it is not."""
    found = istio()
    if not found.built():
        pytest.skip(ISTIOCTL_NOT_BUILT)
    return found


def _named_gateways(example: Path) -> list[str]:
    """The Istio Gateways the example's VirtualServices bind to: those it names
    (`spec.istio.gateways`), else the default. They are the platform's, which the graph's files
    name but do not carry."""
    spec = yaml.safe_load(example.read_text())["spec"]
    return list((spec.get("istio") or {}).get("gateways") or ISTIO_GATEWAYS)


def _platform_gateways(example: Path, workdir: Path) -> Path:
    """The example's gateways as the platform would have them (istio_gateway), in a file."""
    path = workdir / "platform-gateways.yaml"
    path.write_text(yaml.safe_dump_all([istio_gateway(g) for g in _named_gateways(example)]))
    return path


def _render(example: Path, engine: str, workdir: Path) -> Path:
    """`infergraph render` of the example into NAMESPACE (or the graph's own)."""
    rendered = workdir / f"{example.stem}.{engine}.yaml"
    argv: list[str | Path] = [INFERGRAPH, "render", example, "--engine", engine]
    argv += ["--namespace", NAMESPACE, "-o", rendered]
    subprocess.run(argv, check=True, capture_output=True, timeout=300)
    return rendered


def _analyze_files(istioctl: Istio, example: Path, rendered: Path, workdir: Path) -> list[str]:
    """istioctl analyze of the rendered files and the platform's gateways.

    Every namespace: without it istioctl keeps only the messages on objects in `default`, and
    ours are in NAMESPACE (or the graph's own). From files it reads Istio's kinds only
    (Services, Deployments and Pods are the cluster's): the test on the cluster checks those.
    """
    gateways = _platform_gateways(example, workdir)
    return istioctl.analyze("--use-kube=false", "--all-namespaces", rendered, gateways)


@pytest.mark.cluster
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("example", GRAPHS, ids=lambda p: p.stem)
def test_istioctl_analyze_finds_nothing_in_the_rendered_files(
    istioctl: Istio, example: Path, engine: str, tmp_path: Path
) -> None:
    rendered = _render(example, engine, tmp_path)
    objects = [o for o in yaml.safe_load_all(rendered.read_text()) if o]
    assert objects, f"{example.name}: nothing rendered"
    assert _analyze_files(istioctl, example, rendered, tmp_path) == []


@pytest.mark.cluster
def test_istioctl_analyze_of_the_files_reports_what_is_wrong_in_our_namespace(
    istioctl: Istio, tmp_path: Path
) -> None:
    """The test above can fail: a route to a subset no DestinationRule has, in NAMESPACE, is
    reported (it was not while istioctl analyzed only `default`)."""
    example = EXAMPLES / "canary-75-25.yaml"
    rendered = _render(example, "helm", tmp_path)
    objects = [o for o in yaml.safe_load_all(rendered.read_text()) if o]
    service = next(o for o in objects if o["kind"] == "VirtualService")
    destination = service["spec"]["http"][0]["route"][0]["destination"]
    destination["subset"] = "missing"
    rendered.write_text(yaml.safe_dump_all(objects))
    found = _analyze_files(istioctl, example, rendered, tmp_path)
    where = f"VirtualService {NAMESPACE}/{service['metadata']['name']}"
    assert [f[: f.index(":")] for f in found] == [f"IST0101 Error {where}"], found


def _pods_made(api: Local, space: str) -> bool | None:
    """True once every Deployment in `space` has as many pods as it asks for (ready or not)."""
    out = api.kubectl("get", "deployments", "-n", space, "-o", "json").stdout
    deployments = json.loads(out)["items"]
    made = all(d["status"].get("replicas", 0) >= d["spec"]["replicas"] for d in deployments)
    return True if deployments and made else None


def _in_mesh(graph: Graph) -> bool:
    """Some pod of the graph asks for Istio's sidecar (the graph asks for Istio security).
    A null node is one the values unset (the chart's default `classifier`)."""
    workloads = [
        w for p in graph.predictors().values() for w in (p["orchestrator"], *p["nodes"].values())
    ]
    return any(w["podLabels"].get(INJECT_LABEL) == "true" for w in workloads if w is not None)


def _sidecars(
    api: Local, graph: Graph
) -> tuple[str | None, set[tuple[str, tuple[str, ...], bool]]]:
    """The restricted profile's enforcement in the graph's namespace, and per pod of the graph
    (identical ones once): its component, its init containers, and whether it has the proxy."""
    pods = api.items("pods", f"app.kubernetes.io/instance={graph.name}", graph.namespace)
    labels = api.get("namespace", graph.namespace, namespace=None)["metadata"]["labels"]
    found = {
        (
            p["metadata"]["labels"]["app.kubernetes.io/component"],
            tuple(c["name"] for c in p["spec"].get("initContainers", [])),
            SIDECAR in (c["name"] for c in p["spec"]["containers"]),
        )
        for p in pods
    }
    return labels.get("pod-security.kubernetes.io/enforce"), found


@pytest.mark.cluster
@pytest.mark.parametrize("example", GRAPHS, ids=lambda p: p.stem)
def test_istioctl_analyze_finds_nothing_on_the_cluster(
    api: Local, istioctl: Istio, example: Path, tmp_path: Path
) -> None:
    """A graph whose pods join the mesh is installed with istiod injecting sidecars (istiod.py):
    the restricted profile admits the injected pods (a CNI platform's sidecar: istio-validation,
    never istio-init), and analyze, which counts only pods in the mesh, finds its policies'
    workloads."""
    graph = compile_graph(api, example, tmp_path)
    prepare(api, graph.namespace)
    platform = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ISTIO_NAMESPACE}}
    api.apply(platform, *(istio_gateway(g) for g in _named_gateways(example)))
    meshed = _in_mesh(graph)
    injector: AbstractContextManager[None] = (
        sidecar_injector(api, istioctl, tmp_path / "istiod") if meshed else nullcontext()
    )
    with injector, helm_release(api, graph, wait=False):
        # analyze matches subsets and policies against pods: wait until the ReplicaSets made them
        wait_for(f"{graph.name}'s pods", lambda: _pods_made(api, graph.namespace), timeout=120)
        if meshed:
            injected = {(c, (CNI_CHECK,), True) for c in ("orchestrator", "node")}
            assert _sidecars(api, graph) == ("restricted", injected)
        where = ("--kubeconfig", api.paths.kubeconfig, "-n", graph.namespace)
        assert istioctl.analyze(*where) == OPEN_FINDINGS.get(example.stem, [])


def _refusals(api: Local, space: str, since: str) -> list[str] | None:
    """The messages of the FailedCreate events in `space` last seen at `since` (an RFC 3339
    time in whole seconds, as events have it) or later, once there are some: those of an
    earlier run stay in a kept cluster for an hour."""
    out = api.kubectl("get", "events", "-n", space, "--field-selector", "reason=FailedCreate",
                      "-o", "json").stdout  # fmt: skip
    events = json.loads(out)["items"]
    return [e["message"] for e in events if e["lastTimestamp"] >= since] or None


@pytest.mark.cluster
def test_without_istio_cni_the_restricted_profile_refuses_the_injected_pods(
    api: Local, istioctl: Istio, tmp_path: Path
) -> None:
    """Why a graph in the mesh must say `spec.istio.cni: true`: injected as on a platform
    without Istio's CNI plugin, production's pods get `istio-init` (NET_ADMIN, NET_RAW, root),
    and the API server refuses every one of them in the restricted namespace."""
    graph = compile_graph(api, EXAMPLES / "production.yaml", tmp_path)
    prepare(api, graph.namespace)
    injector = sidecar_injector(api, istioctl, tmp_path / "istiod", cni=False)
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with injector, helm_release(api, graph, wait=False):
        found = wait_for("refused pods", lambda: _refusals(api, graph.namespace, since), 60)
        pods = api.items("pods", f"app.kubernetes.io/instance={graph.name}", graph.namespace)
    assert pods == []
    assert all('violates PodSecurity "restricted' in message for message in found), found
    assert all(f'container "{PRIVILEGED_INIT}"' in message for message in found), found
    assert all('"NET_ADMIN", "NET_RAW"' in message for message in found), found


@pytest.mark.cluster
def test_istio_base_chart_installs_with_the_kind_tier_settings(api: Local) -> None:
    chart = istio().chart(api.paths, "base")
    crds = [d for d in yaml.safe_load_all((chart / "files" / "crd-all.gen.yaml").read_text()) if d]
    where = ("-n", ISTIO_NAMESPACE)
    # The tier's API server already has Istio's CRDs (crds.py, applied server-side by kubectl):
    # the chart takes them over (ownership and fields), as it would create them on a fresh
    # cluster, and the tier's own are put back after.
    install: list[str | Path] = [
        "upgrade",
        "--install",
        ISTIO_BASE_RELEASE,
        chart,
        *where,
        *ISTIO_BASE_SETTINGS,
    ]
    install += [
        "--create-namespace",
        "--wait",
        "--timeout",
        "5m",
        "--take-ownership",
        "--force-conflicts",
    ]
    try:
        api.helm(*install)
        status = json.loads(api.helm("status", ISTIO_BASE_RELEASE, *where, "-o", "json").stdout)
        assert status["info"]["status"] == "deployed"
        # defaultRevision=default: the default validator, calling the unrevisioned istiod
        validator = api.get("validatingwebhookconfiguration", DEFAULT_VALIDATOR, namespace=None)
        assert validator["metadata"]["labels"]["istio.io/rev"] == "default"
        services = [w["clientConfig"]["service"] for w in validator["webhooks"]]
        assert services == [{**services[0], "name": "istiod", "namespace": ISTIO_NAMESPACE}]
        names = [f"crd/{crd['metadata']['name']}" for crd in crds]
        api.kubectl("wait", "--for=condition=Established", *names, "--timeout=120s")
        for name in names:
            labels = api.get("crd", name.removeprefix("crd/"), namespace=None)["metadata"]["labels"]
            assert labels["app.kubernetes.io/managed-by"] == "Helm", name
    finally:
        api.helm("uninstall", ISTIO_BASE_RELEASE, *where, "--ignore-not-found", "--wait")
        api.kubectl("apply", "--server-side", "--force-conflicts", "-f", crd_files(api.paths)[0])
    gone = api.kubectl("get", "validatingwebhookconfiguration", DEFAULT_VALIDATOR,
                       "--ignore-not-found", "-o", "name").stdout  # fmt: skip
    assert gone == ""


def test_istioctl_tests_skip_with_one_reason_line_where_istioctl_is_not_cached(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "INFERGRAPH_CLUSTER"}
    env["ISTIO_MODULE_VERSION"] = "v0.0.0-00010101000000-000000000000"  # never built
    assert not istio(env).built()
    # where the cluster tier itself is not built, its own reason comes first
    reason = ISTIOCTL_NOT_BUILT if paths(env).built() else NOT_BUILT
    selected = (
        "tests/cluster/test_istioctl.py::test_istioctl_analyze_finds_nothing_in_the_rendered_files"
    )
    argv: list[str | Path] = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        selected,
    ]
    out = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    skipped = [line for line in out.stdout.splitlines() if line.startswith("SKIPPED")]
    assert len(skipped) == 1, out.stdout
    assert skipped[0].endswith(reason), out.stdout
    assert f"{len(GRAPHS) * len(ENGINES)} skipped" in out.stdout, out.stdout


def _cached_istioctl(tmp_path: Path, content: str) -> dict[str, str]:
    """build_istioctl.sh's environment with a cache in `tmp_path` holding an `istioctl` and a
    `pilot-discovery` whose recorded sums are those of `content`."""
    env = {**os.environ, "CLUSTER_CACHE": str(tmp_path / "cache")}
    found = istio(env)
    found.istioctl.parent.mkdir(parents=True)
    for binary in (found.istioctl, found.pilot_discovery):
        binary.write_text(content)
        binary.chmod(0o755)
    sums = subprocess.run(["sha256sum", "istioctl", "pilot-discovery"], cwd=found.istioctl.parent,
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    (found.istioctl.parent / "SHA256SUMS").write_text(sums)
    return env


def test_build_istioctl_uses_the_cache_after_checking_its_sum(tmp_path: Path) -> None:
    env = _cached_istioctl(tmp_path, "#!/bin/sh\n")
    argv: list[str | Path] = ["bash", REPO / "tools" / "cluster" / "build_istioctl.sh"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("build_istioctl.sh: cached ("), done.stdout


@pytest.mark.parametrize("binary", ["istioctl", "pilot_discovery"])
def test_build_istioctl_refuses_a_cached_binary_that_does_not_match_its_sum(
    tmp_path: Path, binary: str
) -> None:
    env = _cached_istioctl(tmp_path, "#!/bin/sh\n")
    getattr(istio(env), binary).write_text("#!/bin/sh\nexit 0\n")
    argv: list[str | Path] = ["bash", REPO / "tools" / "cluster" / "build_istioctl.sh"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "FAILED" in done.stdout + done.stderr, done.stdout + done.stderr
