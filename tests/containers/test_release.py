"""The release path, proven against a registry on 127.0.0.1: `make chart-push` (helm package
and helm push, as release.yml runs it), `helm pull` renders exactly what the checkout renders,
and the pushed image pulls back by digest as the same image."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infergraph.api import compile_values
from infergraph.defaults import SERVER_IMAGE
from infergraph.loading import load
from infergraph.render import sort_objects
from infergraph.render_helm import render_helm

from .conftest import REPO
from .docker import Docker
from .registry import NO_REGISTRY, local_registry

pytestmark = [
    pytest.mark.containers,
    pytest.mark.skipif(shutil.which("docker-registry") is None, reason=NO_REGISTRY),
]

VERSION = SERVER_IMAGE.rpartition(":")[2]
HELM = str(Path(sys.executable).parent / "helm")
EXAMPLE = REPO / "examples" / "ab-test.yaml"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_registry(tmp_path_factory.mktemp("registry")) as address:
        yield address


def test_chart_push_then_pull_renders_as_the_checkout(registry: str, tmp_path: Path) -> None:
    subprocess.run(
        ["make", "-C", str(REPO), "--no-print-directory", "chart-push",
         f"RELEASE_VERSION={VERSION}", f"RELEASE_DIR={tmp_path / 'package'}",
         f"CHART_REGISTRY=oci://{registry}/charts", "HELM_PUSH_FLAGS=--plain-http"],
        check=True,
    )  # fmt: skip
    pulled = tmp_path / "pulled"
    subprocess.run(
        [HELM, "pull", f"oci://{registry}/charts/infergraph", "--version", VERSION,
         "--plain-http", "--untar", "--destination", str(pulled)],
        check=True,
    )  # fmt: skip
    chart = yaml.safe_load((pulled / "infergraph" / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == (VERSION, VERSION)
    values = compile_values(load(EXAMPLE))
    ours = sort_objects(render_helm(values))
    assert ours, "the checkout's chart rendered nothing"
    assert sort_objects(render_helm(values, chart=pulled / "infergraph")) == ours


def test_image_push_then_pull_by_digest(registry: str, image: str, docker: Docker) -> None:
    remote = f"{registry}/infergraph/infergraph-server"
    docker("tag", image, f"{remote}:{VERSION}")
    try:
        docker("push", f"{remote}:{VERSION}")
        digests = docker("image", "inspect", "--format", "{{json .RepoDigests}}", image)
        (pinned,) = [d for d in yaml.safe_load(digests) if d.startswith(f"{remote}@sha256:")]
        docker("rmi", f"{remote}:{VERSION}")  # drops the digest reference with the tag
        assert docker("image", "inspect", pinned, check=False) == "[]\n"
        docker("pull", pinned)
        ours = docker("image", "inspect", "--format", "{{.Id}}", image).strip()
        assert docker("image", "inspect", "--format", "{{.Id}}", pinned).strip() == ours
    finally:
        docker("rmi", f"{remote}:{VERSION}", check=False)
        for ref in yaml.safe_load(docker("image", "inspect", "--format", "{{json .RepoDigests}}",
                                         image)):  # fmt: skip
            if ref.startswith(f"{remote}@"):
                docker("rmi", ref)
