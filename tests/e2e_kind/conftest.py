"""Fixtures of the kind tier: one cluster per session, set up step by step, each step logged.

Every test marked `kind` needs a Docker engine: `docker info` runs once per session (at
collection, and only when kind tests were collected), and without an answer every such test
skips with one reason line. A machine with Docker runs the tier only when asked (`make e2e`
sets INFERGRAPH_E2E_KIND=1), so `make test` never creates a cluster as a side effect.

`kind_cluster` replaces pytest-kind's fixture of that name to pass our kind config (the plugin's
fixture creates clusters without one); pytest-kind's options (--cluster-name, --keep-cluster,
--kind-image, --kind-bin, --kind-kubectl-bin) keep working.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from pytest_kind import KindCluster

from tests.containers.docker import docker_answers

from .graphs import Graph, compile_graph
from .images import REPO, server_image
from .kindconfig import kind_config
from .kube import Kube, log
from .platform import (
    ISTIO_NAMESPACE,
    advertise_gpus,
    build_and_load,
    install_istio,
    provide_models,
)

__all__ = ["NOT_ASKED", "NO_DOCKER", "CompileExample"]

NO_DOCKER = "kind: no Docker engine (docker info failed)"
NOT_ASKED = "kind: runs under make e2e (INFERGRAPH_E2E_KIND=1)"
CompileExample = Callable[[Path], Graph]
WORKDIR = REPO / "build" / "e2e-kind"
MIN_KUBERNETES = (1, 30)  # the chart's kubeVersion (lifecycle.preStop.sleep)


def _skip_reason() -> str | None:
    """Why the kind tier cannot run here, or None when it can and was asked to."""
    if not docker_answers():
        return NO_DOCKER
    if os.environ.get("INFERGRAPH_E2E_KIND") != "1":
        return NOT_ASKED
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Once per session, when kind tests were collected: mark them all skipped if need be.

    A skip marker (not a skip raised per test) lets pytest fold the summary into one line.
    """
    tier = [item for item in items if item.get_closest_marker("kind")]
    if tier and (reason := _skip_reason()):
        for item in tier:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def kind_cluster(request: pytest.FixtureRequest) -> Iterator[KindCluster]:
    """pytest-kind's cluster, created from our kind config; deleted unless --keep-cluster."""
    models_dir = WORKDIR / "models"
    models_dir.mkdir(parents=True, exist_ok=True)
    models_dir.chmod(0o777)  # the training Job writes here as uid 1000
    config = WORKDIR / "kind-config.yaml"
    config.write_text(yaml.safe_dump(kind_config(models_dir.resolve()), sort_keys=False))
    option = request.config.getoption
    paths = {k: Path(v) if (v := option(o)) else None for k, o in
             (("kubeconfig", "kubeconfig"), ("kind_path", "kind_bin"),
              ("kubectl_path", "kind_kubectl_bin"))}  # fmt: skip
    cluster = KindCluster(option("cluster_name"), image=option("kind_image"), **paths)
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


@pytest.fixture(scope="session")
def kube(kind_cluster: KindCluster) -> Kube:
    return Kube(kind_cluster)


@pytest.fixture(scope="session")
def image(kube: Kube) -> str:
    """The server image under the name the compiler writes, built here and loaded into kind."""
    name = server_image()
    build_and_load(kube, name)
    return name


@pytest.fixture(scope="session")
def gpu_node(kube: Kube) -> str:
    """The GPU worker, advertising GPU capacity (set up before anything can land there)."""
    return advertise_gpus(kube)


@pytest.fixture(scope="session")
def cluster(kube: Kube, image: str, gpu_node: str) -> Kube:
    """The cluster ready for graphs: image, GPUs, Istio with our Gateway, the models."""
    install_istio(kube)
    provide_models(kube, image)
    return kube


@pytest.fixture(scope="session")
def gateway(cluster: Kube) -> Iterator[int]:
    """Local port of a port-forward to the Istio ingress gateway's HTTP port."""
    with cluster.port_forward("service/istio-ingressgateway", 80, ISTIO_NAMESPACE) as port:
        yield port


@pytest.fixture
def compile_example(cluster: Kube, tmp_path: Path) -> CompileExample:
    """`compile_example(path)`: the compiled values of a graph definition."""

    def compile_(source: Path) -> Graph:
        return compile_graph(cluster, source, tmp_path)

    return compile_
