"""Fixtures of the cluster tier: one suite on the provider this run chose (provider.py).

`local`: the control plane of tools/cluster, up once per session; with CLUSTER_NODE=real its real
nodes run our image (imported from Docker), the models are trained onto the machine's disk, the
GPU node's GPU comes from our device plugin (tests/deviceplugin), and a test that needs SERVING
or the GPU node runs with the kwok nodes cordoned, so its pods land on real nodes. It runs
wherever its binaries are cached (`make cluster-build` once; `make test` then runs it) or when asked
(INFERGRAPH_CLUSTER=1 or INFERGRAPH_CLUSTER_PROVIDER=local: `make cluster-test`; a missing build
is made first, which takes long). A cluster already running for this checkout (`make cluster`) is
used and left running; one this session starts gets free loopback ports (another checkout's
cluster may hold the default ones) and is stopped at the session's end.

`kind` (INFERGRAPH_CLUSTER_PROVIDER=kind: `make e2e`): pytest-kind's cluster from our kind config
(kindconfig.py), our image built and loaded, GPUs advertised, Istio and the models installed, each
step logged. `kind_cluster` replaces pytest-kind's fixture of that name to pass our kind config;
pytest-kind's options (--cluster-name, --keep-cluster, --kind-image, --kind-bin,
--kind-kubectl-bin) keep working.

Tests take `cluster` (the cluster ready for graphs, either provider); `local_cluster` and `api`
are the local cluster itself and skip on kind. Where the tier cannot run, or a test needs what the
provider lacks, it skips with one reason line, reported at one location so pytest folds it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Generator, Iterator, Mapping
from pathlib import Path

import pytest
import yaml
from e2e_kind.graphs import Graph, compile_graph
from e2e_kind.images import REPO, server_image
from e2e_kind.kindconfig import kind_config
from e2e_kind.kube import Kube
from e2e_kind.objects import NAMESPACE, TRAIN_JOB, models_objects, namespace
from e2e_kind.platform import (
    ISTIO_NAMESPACE,
    TRAIN_SCRIPT,
    advertise_gpus,
    build_and_load,
    gpu_node_name,
    install_istio,
    provide_models,
)
from pytest_kind import KindCluster

from tests.containers.docker import docker_answers

from .crds import crd_files
from .local import TOOLS, Local, free_ports, log, paths
from .provider import KIND, LOCAL_REAL, Capability, Provider, choose, skip_reason
from .realnode import RealNodes, real_nodes
from .spaces import prepare

__all__ = ["CompileExample"]

CompileExample = Callable[[Path], Graph]
WORKDIR = REPO / "build" / "e2e-kind"
MIN_KUBERNETES = (1, 30)  # the chart's kubeVersion (lifecycle.preStop.sleep)
_CHOSEN = pytest.StashKey[Provider | str]()
_OURS = ("cluster: ", "kind: ", "local: ", "istioctl: ")  # the prefixes of the tier's skip reasons


def _chosen(config: pytest.Config) -> Provider | str:
    """This run's provider or the tier's skip reason, decided once (docker info runs once)."""
    if _CHOSEN not in config.stash:
        try:
            config.stash[_CHOSEN] = choose(
                os.environ, local_built=lambda: paths().built(), docker=docker_answers
            )
        except ValueError as error:
            raise pytest.UsageError(str(error)) from None
    return config.stash[_CHOSEN]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each tier test skipped where the tier cannot run or the provider lacks a need.

    A skip marker (not a skip raised per test) lets pytest fold the summary into one line.
    """
    tier = [item for item in items if item.get_closest_marker("cluster")]
    if not tier:
        return
    chosen = _chosen(config)
    for item in tier:
        needs = {c for m in item.iter_markers("needs") for c in m.args}
        if bad := [c for c in needs if not isinstance(c, Capability)]:
            raise pytest.UsageError(f"{item.nodeid}: needs() takes Capability members, not {bad}")
        fixtures = getattr(item, "fixturenames", ())
        reason = chosen if isinstance(chosen, str) else skip_reason(chosen, needs, fixtures)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report the tier's skips at one location, so pytest folds them into one line per reason."""
    report: pytest.TestReport = yield
    if (
        report.skipped
        and isinstance(report.longrepr, tuple)
        and report.longrepr[2].removeprefix("Skipped: ").startswith(_OURS)
    ):
        # no line number: pytest then prints the location alone (and folds by it)
        report.longrepr = (str(Path(__file__).parent), None, report.longrepr[2])  # type: ignore[assignment]
    return report


@pytest.fixture(scope="session")
def provider(request: pytest.FixtureRequest) -> Provider:
    """The provider this run chose (tests of a tier that cannot run were skipped before)."""
    chosen = _chosen(request.config)
    if isinstance(chosen, str):
        pytest.skip(chosen)
    return chosen


# the local cluster


def _script(name: str, env: Mapping[str, str]) -> None:
    """Run tools/cluster/<name>.sh, its output logged; fail the session when it fails."""
    done = subprocess.run(["bash", TOOLS / f"{name}.sh"], capture_output=True, text=True, env=env)
    for line in (done.stdout + done.stderr).splitlines():
        log.info("%s: %s", name, line)
    if done.returncode != 0:
        pytest.fail(f"tools/cluster/{name}.sh failed:\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Local]:
    """The running local cluster (built and started here, on free ports, if need be)."""
    env = dict(os.environ)
    status = subprocess.run(["bash", TOOLS / "status.sh"], capture_output=True, env=env)
    running = status.returncode == 0
    if not running:
        env.update(free_ports())
        _script("build", env)
        _script("up", env)
    try:
        yield Local(paths(env))
    finally:
        if not running:
            _script("down", env)


@pytest.fixture(scope="session")
def api(cluster: Kube) -> Kube:
    """The local cluster ready for graphs (the name before `cluster`; it skips on kind)."""
    return cluster


# kind


@pytest.fixture(scope="session")
def kind_cluster(request: pytest.FixtureRequest) -> Iterator[KindCluster]:
    """pytest-kind's cluster, created from our kind config; deleted unless --keep-cluster."""
    models_dir = WORKDIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    models_dir.chmod(0o777)  # the training Job writes here as uid 1000
    config = WORKDIR / "kind-config.yaml"
    config.write_text(yaml.safe_dump(kind_config(models_dir.resolve()), sort_keys=False))
    option = request.config.getoption
    paths_ = {k: Path(v) if (v := option(o)) else None for k, o in
              (("kubeconfig", "kubeconfig"), ("kind_path", "kind_bin"),
               ("kubectl_path", "kind_kubectl_bin"))}  # fmt: skip
    cluster = KindCluster(option("cluster_name"), image=option("kind_image"), **paths_)
    log.info("kind cluster %s from %s", cluster.name, config)
    cluster.create(config_file=config)
    version = tuple(int(part.rstrip("+")) for part in cluster.api.version)
    if version < MIN_KUBERNETES:
        raise pytest.UsageError(
            f"kind made Kubernetes {'.'.join(map(str, version))}; the chart needs "
            f"{'.'.join(map(str, MIN_KUBERNETES))}+: run `make e2e` (it pins KIND_VERSION)"
        )
    yield cluster
    if not option("keep_cluster"):
        cluster.delete()


# either provider


@pytest.fixture(scope="session")
def kube(provider: Provider, request: pytest.FixtureRequest) -> Kube:
    """Commands on the provider's cluster (nothing installed yet)."""
    if provider is KIND:
        return Kube(request.getfixturevalue("kind_cluster"))
    local: Local = request.getfixturevalue("local_cluster")
    return local


@pytest.fixture(scope="session")
def real(provider: Provider, kube: Kube) -> Iterator[RealNodes | None]:
    """The local cluster's real nodes (LOCAL_REAL), else None; cordoned but while a test needs
    them (`_serving_on_the_real_node`), so other tests' pods stay on kwok nodes."""
    if provider is not LOCAL_REAL:
        yield None
        return
    assert isinstance(kube, Local)
    found = real_nodes(kube)
    if found is None:
        pytest.fail("CLUSTER_NODE=real, but env.sh says the local cluster has no real node")
    with found.cordoned():
        yield found


@pytest.fixture(scope="session")
def image(provider: Provider, kube: Kube, real: RealNodes | None) -> str:
    """The server image under the name the compiler writes: on kind built here and loaded (with
    its rolling-update tag); on the real node imported from Docker; kwok never pulls it."""
    name = server_image()
    if provider is KIND:
        build_and_load(kube, name)
    elif real is not None:
        real.import_image(name)
    return name


@pytest.fixture(scope="session")
def gpu_node(provider: Provider, kube: Kube, real: RealNodes | None) -> Iterator[str]:
    """The GPU node, advertising GPU_CAPACITY GPUs: kind's patched to, kwok's declared, the
    real GPU node's from our device plugin, which serves its kubelet for the session."""
    if real is not None:
        with real.gpus_from_our_plugin() as name:
            yield name
    else:
        yield advertise_gpus(kube) if provider is KIND else gpu_node_name(kube)


@pytest.fixture(scope="session")
def cluster(
    provider: Provider, kube: Kube, image: str, gpu_node: str, request: pytest.FixtureRequest
) -> Kube:
    """The cluster ready for graphs. kind: Istio with our Gateway, the models trained into the
    claim. local: the third-party CRDs established, the suite's namespace and its claim."""
    if provider is KIND:
        install_istio(kube)
        provide_models(kube, image)
        return kube
    assert isinstance(kube, Local)
    for crd in crd_files(kube.paths):
        kube.kubectl("apply", "--server-side", "-f", crd)
    kube.kubectl("wait", "--for=condition=Established", "crd", "--all", "--timeout=120s")
    nodes: RealNodes | None = request.getfixturevalue("real")
    if nodes is None:
        prepare(kube, NAMESPACE)
        return kube
    with nodes.only():  # the training Job runs on a real node, into the machine's disk
        objects = models_objects(TRAIN_SCRIPT.read_text(), image, NAMESPACE, str(nodes.models))
        kube.apply(namespace(NAMESPACE), *objects)
        kube.kubectl("wait", "--for=condition=Complete", "-n", NAMESPACE, f"job/{TRAIN_JOB}",
                     "--timeout=600s")  # fmt: skip
    return kube


@pytest.fixture(autouse=True)
def _serving_on_the_real_node(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that needs SERVING or the GPU node runs with the kwok nodes cordoned where the
    local cluster has real nodes."""
    needs = {c for m in request.node.iter_markers("needs") for c in m.args}
    wanted = Capability.SERVING in needs or "gpu_node" in request.fixturenames
    if not wanted or _chosen(request.config) is not LOCAL_REAL:
        yield
        return
    nodes: RealNodes = request.getfixturevalue("real")
    with nodes.only():
        yield


@pytest.fixture(scope="session")
def gateway(cluster: Kube) -> Iterator[int]:
    """Local port of a port-forward to the Istio ingress gateway's HTTP port (needs ISTIO)."""
    with cluster.port_forward("service/istio-ingressgateway", 80, ISTIO_NAMESPACE) as port:
        yield port


@pytest.fixture
def compile_example(cluster: Kube, tmp_path: Path) -> CompileExample:
    """`compile_example(path)`: the compiled values of a graph definition."""

    def compile_(source: Path) -> Graph:
        return compile_graph(cluster, source, tmp_path)

    return compile_
