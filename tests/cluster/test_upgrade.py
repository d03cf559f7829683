"""`helm upgrade` and `helm rollback` of a release against the real API server: new traffic
weights reach the VirtualService the API server stores, a new image tag rolls every Deployment
(the controller leaves the old ReplicaSet scaled to 0 beside the new one), and a rollback
restores the weights and the images, the controller scaling the first ReplicaSet back up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_kind.graphs import EXAMPLES, Graph, compile_graph, helm_release
from e2e_kind.images import image_override, upgraded_image
from e2e_kind.kube import Kube

from infergraph.render_helm import CHART_DIR

pytestmark = pytest.mark.cluster
NEW_WEIGHTS = {"main": 40, "canary": 60}
REVISION = "deployment.kubernetes.io/revision"


def _weights(api: Kube, graph: Graph) -> dict[str, int]:
    """The VirtualService's route weights as the API server holds them, by subset (predictor)."""
    service = api.get("virtualservice", graph.name, namespace=graph.namespace)
    (route,) = service["spec"]["http"]
    return {r["destination"]["subset"]: r["weight"] for r in route["route"]}


def _deployments(api: Kube, graph: Graph) -> dict[str, dict[str, Any]]:
    found = api.items("deployments", f"app.kubernetes.io/instance={graph.name}", graph.namespace)
    return {d["metadata"]["name"]: d for d in found}


def _images(api: Kube, graph: Graph) -> dict[str, set[str]]:
    """Each Deployment's container images."""
    return {
        name: {c["image"] for c in d["spec"]["template"]["spec"]["containers"]}
        for name, d in _deployments(api, graph).items()
    }


def _replica_sets(api: Kube, graph: Graph, deployment: dict[str, Any]) -> dict[int, int]:
    """The Deployment's ReplicaSets: controller revision -> replicas."""
    labels = deployment["spec"]["selector"]["matchLabels"]
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    found = api.items("replicasets", selector, graph.namespace)
    return {int(rs["metadata"]["annotations"][REVISION]): rs["spec"]["replicas"] for rs in found}


def test_upgrade_changes_weights_and_image_and_rollback_restores_them(
    cluster: Kube, image: str, tmp_path: Path
) -> None:
    graph = compile_graph(cluster, EXAMPLES / "canary-75-25.yaml", tmp_path)
    old_image = image  # what the compiler writes into every workload
    new_image = upgraded_image(old_image)
    override = image_override(graph.values, new_image)
    for predictor, weight in NEW_WEIGHTS.items():
        override["predictors"][predictor]["traffic"] = weight
    upgrade_values = tmp_path / "upgrade.yaml"
    upgrade_values.write_text(yaml.safe_dump(override))
    where = ("-n", graph.namespace, "--wait", "--timeout", "5m")

    with helm_release(cluster, graph):
        before = _weights(cluster, graph)
        assert before == {"main": 75, "canary": 25}
        first_images = _images(cluster, graph)
        assert set().union(*first_images.values()) == {old_image}

        files = ("-f", graph.values_file, "-f", upgrade_values)
        cluster.helm("upgrade", graph.name, CHART_DIR, *files, *where)
        assert _weights(cluster, graph) == NEW_WEIGHTS
        assert _images(cluster, graph) == {name: {new_image} for name in first_images}
        for name, deployment in _deployments(cluster, graph).items():
            assert deployment["status"].get("updatedReplicas") == deployment["spec"]["replicas"]
            assert deployment["status"].get("readyReplicas") == deployment["spec"]["replicas"]
            history = _replica_sets(cluster, graph, deployment)
            assert history == {1: 0, 2: deployment["spec"]["replicas"]}, name

        cluster.helm("rollback", graph.name, "1", *where)
        assert _weights(cluster, graph) == before
        assert _images(cluster, graph) == first_images
        for name, deployment in _deployments(cluster, graph).items():
            # the controller scales the first ReplicaSet back up and gives it the next revision
            history = _replica_sets(cluster, graph, deployment)
            assert history == {2: 0, 3: deployment["spec"]["replicas"]}, name
            assert deployment["metadata"]["annotations"][REVISION] == "3"

        out = cluster.helm("history", graph.name, "-n", graph.namespace, "-o", "json").stdout
        releases = [(r["revision"], r["status"]) for r in json.loads(out)]
        assert releases == [(1, "superseded"), (2, "superseded"), (3, "deployed")]
