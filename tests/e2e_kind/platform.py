"""What the cluster needs before any graph: our image, Istio, the models, GPU capacity.

Each step is idempotent (a kept cluster, `--keep-cluster`, can be reused) and logged.
"""

from __future__ import annotations

import json

from .images import REPO, upgraded_image
from .kindconfig import GPU_CAPACITY, GPU_LABEL, GPU_RESOURCE, gpu_capacity_patch
from .kube import CommandFailed, Kube, log, wait_for
from .objects import GATEWAY_RELEASE, NAMESPACE, TRAIN_JOB, istio_gateway, models_objects, namespace
from .observe import job_outcome

__all__ = [
    "ISTIO_BASE_RELEASE",
    "ISTIO_BASE_SETTINGS",
    "ISTIO_CHARTS",
    "ISTIO_NAMESPACE",
    "ISTIO_VERSION",
    "TRAIN_SCRIPT",
    "advertise_gpus",
    "build_and_load",
    "gpu_node_name",
    "install_istio",
    "provide_models",
]

ISTIO_VERSION = "1.26.2"  # supports Kubernetes 1.29-1.33; kind v0.27.0 runs 1.32
ISTIO_CHARTS = "https://istio-release.storage.googleapis.com/charts"
ISTIO_NAMESPACE = "istio-system"
# Istio's base chart as installed here (release name, values); tests/cluster installs the chart
# with the same ones.
ISTIO_BASE_RELEASE = "istio-base"
ISTIO_BASE_SETTINGS = ("--set", "defaultRevision=default")
TRAIN_SCRIPT = REPO / "bench" / "train_iris.py"


def build_and_load(kube: Kube, image: str) -> None:
    """`make image` (the one build of the server image), tag the rolling-update copy, kind load
    both."""
    kube.run("make", "-C", REPO, "--no-print-directory", "image", timeout=1800)
    kube.run("docker", "tag", image, upgraded_image(image))
    for name in (image, upgraded_image(image)):
        log.info("kind load docker-image %s", name)
        kube.cluster.load_docker_image(name)


def install_istio(kube: Kube) -> None:
    """Istio's official charts (base, CNI plugin, istiod, gateway) at ISTIO_VERSION, and our
    Gateway. The CNI plugin is what lets a graph's pods join the mesh in our namespaces: without
    it the injected `istio-init` needs NET_ADMIN and NET_RAW, which the restricted profile
    refuses (the graphs that join say `spec.istio.cni: true`)."""
    common = ["--repo", ISTIO_CHARTS, "--version", ISTIO_VERSION, "-n", ISTIO_NAMESPACE]
    wait = ["--create-namespace", "--wait", "--timeout", "10m"]
    releases: tuple[tuple[str, str, list[str]], ...] = (
        (ISTIO_BASE_RELEASE, "base", [*ISTIO_BASE_SETTINGS]),
        ("istio-cni", "cni", []),
        ("istiod", "istiod", ["--set", "pilot.cni.enabled=true"]),
        # kind has no load balancer: a LoadBalancer Service would keep --wait waiting forever
        (GATEWAY_RELEASE, "gateway", ["--set", "service.type=ClusterIP"]),
    )
    for release, chart, extra in releases:
        kube.helm("upgrade", "--install", release, chart, *common, *wait, *extra)
    kube.apply(istio_gateway())


def provide_models(kube: Kube, image: str) -> None:
    """The `infergraph-models` claim, filled by a training Job run in our image."""
    kube.apply(namespace())
    kube.kubectl("delete", "job", TRAIN_JOB, "-n", NAMESPACE, "--ignore-not-found", "--wait")
    kube.apply(*models_objects(TRAIN_SCRIPT.read_text(), image))
    outcome = wait_for(
        "the model training Job", lambda: job_outcome(kube.get("job", TRAIN_JOB)), timeout=300
    )
    if outcome != "complete":
        raise CommandFailed(f"Job {TRAIN_JOB} failed:\n{kube.logs(f'job-name={TRAIN_JOB}')}")
    log.info("models trained:\n%s", kube.logs(f"job-name={TRAIN_JOB}"))


def gpu_node_name(kube: Kube) -> str:
    """The one node labelled as the GPU node (kind's GPU worker, the local cluster's kwok-gpu)."""
    out = kube.kubectl("get", "nodes", "-l", f"{GPU_LABEL}=true", "-o", "name").stdout.split()
    if len(out) != 1:
        raise CommandFailed(f"expected one node labelled {GPU_LABEL}=true, found {out}")
    return out[0].removeprefix("node/")


def advertise_gpus(kube: Kube) -> str:
    """Patch the GPU worker's status with GPU_CAPACITY GPUs; return the node's name."""
    node = gpu_node_name(kube)
    patch = json.dumps(gpu_capacity_patch())
    kube.kubectl("patch", "node", node, "--subresource=status", "--type=json", "-p", patch)

    def allocatable() -> str | None:
        doc = kube.get("node", node, namespace=None)
        have = doc["status"].get("allocatable", {}).get(GPU_RESOURCE)
        return have if have == str(GPU_CAPACITY) else None

    wait_for(f"{node} to advertise {GPU_CAPACITY} {GPU_RESOURCE}", allocatable, timeout=60)
    return node
