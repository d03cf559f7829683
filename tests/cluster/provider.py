"""Which cluster the cluster tier runs on, and what each one can do.

One suite, two providers. `kind` (`make e2e`, GitHub Actions): Docker nodes that run our image,
Istio from its charts. `local` (`make cluster-test`, and `make test` where its binaries are
cached): the control plane of tools/cluster with kwok nodes, which run no container but know every
third-party CRD we render; with CLUSTER_NODE=real (tools/cluster/env.sh) a real node beside them
runs our image, so the tests that need serving run too (`LOCAL_REAL`, also named local).
INFERGRAPH_CLUSTER_PROVIDER names one; unset, the local cluster runs where it is built and kind
never runs unasked (it would create a cluster by surprise).

A test states what it needs beyond a Kubernetes API with `@pytest.mark.needs(Capability.X, ...)`;
on a provider that lacks it, it skips with the provider's one reason line.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

__all__ = [
    "KIND",
    "LOCAL",
    "LOCAL_FIXTURES",
    "LOCAL_REAL",
    "NOT_BUILT",
    "NO_DOCKER",
    "NO_REAL_NODE",
    "PROVIDERS",
    "TURNED_OFF",
    "Capability",
    "Provider",
    "choose",
    "skip_reason",
]

NO_DOCKER = "kind: no Docker engine (docker info failed)"
NOT_BUILT = (
    "cluster: binaries not built (make cluster-build once; a cold build is too long for CI); "
    "kind runs under make e2e"
)
TURNED_OFF = "cluster: turned off (INFERGRAPH_CLUSTER=0)"
NO_REAL_NODE = "cluster: no real node (CLUSTER_NODE=real make cluster-test starts one)"
LOCAL_FIXTURES = ("local_cluster", "api")  # fixtures that are the local cluster itself


class Capability(enum.Enum):
    """What a test may need beyond a Kubernetes API with a scheduler, controllers and a GPU node."""

    SERVING = "pods run our image and answer requests"
    ISTIO = "Istio's data plane routes requests through the ingress gateway"
    ANY_IMAGE = "a pod of any image becomes Ready"
    ALL_CRDS = "the API server knows every third-party kind we render"


@dataclass(frozen=True)
class Provider:
    """A cluster the tier can run on: its name and, for each capability it lacks, why."""

    name: str
    lacks: Mapping[Capability, str]

    def offers(self, capability: Capability) -> bool:
        return capability not in self.lacks


KIND = Provider(
    "kind",
    {
        Capability.ANY_IMAGE: "pods pull their images, and kind is loaded with the default server "
        "image only (the runtime examples' images and models are not built)",
        Capability.ALL_CRDS: "only Istio's CRDs are installed (its base chart); ServiceMonitor's, "
        "the Gateway API's and KEDA's come from tools/cluster's Go module cache",
    },
)
NO_ISTIO = (
    "no Istio data plane (istiod and the gateway need running pods, and Istio's charts cannot "
    "be fetched here)"
)
LOCAL = Provider(
    "local",
    {
        Capability.SERVING: "kwok nodes run no container (pods are marked Ready, nothing answers)",
        Capability.ISTIO: NO_ISTIO,
    },
)
LOCAL_REAL = Provider("local", {Capability.ISTIO: NO_ISTIO})  # CLUSTER_NODE=real: a kubelet
PROVIDERS = {p.name: p for p in (KIND, LOCAL)}


def choose(
    env: Mapping[str, str], *, local_built: Callable[[], bool], docker: Callable[[], bool]
) -> Provider | str:
    """The provider of this run, or the one reason line the whole tier skips with.

    INFERGRAPH_CLUSTER=0 turns the tier off, =1 asks for it (on the local cluster unless
    INFERGRAPH_CLUSTER_PROVIDER names kind); an unknown provider name is a ValueError. The local
    cluster serves (LOCAL_REAL) where CLUSTER_NODE=real, as tools/cluster/env.sh reads it.
    """
    asked = env.get("INFERGRAPH_CLUSTER")
    if asked == "0":
        return TURNED_OFF
    name = env.get("INFERGRAPH_CLUSTER_PROVIDER", "")
    if name and name not in PROVIDERS:
        raise ValueError(
            f"INFERGRAPH_CLUSTER_PROVIDER={name}: expected one of {', '.join(sorted(PROVIDERS))}"
        )
    if name == "kind":
        return KIND if docker() else NO_DOCKER
    if name == "local" or asked == "1" or local_built():
        return LOCAL_REAL if env.get("CLUSTER_NODE") == "real" else LOCAL
    return NOT_BUILT


def skip_reason(
    provider: Provider, needs: Collection[Capability], fixtures: Collection[str]
) -> str | None:
    """Why a test needing `needs` and using `fixtures` cannot run on `provider`, or None."""
    for capability in Capability:  # a fixed order: the same test skips for the same reason
        if capability in needs and not provider.offers(capability):
            return f"{provider.name}: {provider.lacks[capability]}"
    if provider.name != LOCAL.name and (used := [f for f in LOCAL_FIXTURES if f in fixtures]):
        return f"{provider.name}: the test is of the local cluster itself (fixture {used[0]})"
    return None
