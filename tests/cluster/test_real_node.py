"""The real node (`CLUSTER_NODE=real make cluster-test`; tools/cluster/node): a kubelet and
kube-proxy built from the pinned source run pods of our image in containerd under the restricted
Pod Security profile; a compiled example installs with `helm install --wait` on real pods whose
probes really answer, and `helm test` sends a prediction through the Service's name (CoreDNS)
and its ClusterIP (kube-proxy). The kwok nodes are cordoned meanwhile, so every pod lands on a
real node."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from deviceplugin.plugin import VISIBLE_DEVICES
from e2e_kind.graphs import EXAMPLES, compile_graph, helm_release
from e2e_kind.images import image_override, upgraded_image
from e2e_kind.kindconfig import GPU_CAPACITY, GPU_RESOURCE
from e2e_kind.objects import (
    MODELS,
    TRAIN_JOB,
    container_security,
    gpu_hog_pod,
    models_objects,
    namespace,
    pod_security,
)  # fmt: skip
from e2e_kind.platform import TRAIN_SCRIPT

from infergraph.defaults import SERVER_IMAGE
from infergraph.render_helm import CHART_DIR

from .local import TOOLS, Local
from .provider import NO_REAL_NODE
from .realnode import RealNodes, real_nodes

pytestmark = pytest.mark.cluster
SPACE = "infergraph-node-e2e"
EXAMPLE = EXAMPLES / "sklearn-single.yaml"


@pytest.fixture(scope="module")
def node(api: Local) -> Iterator[RealNodes]:
    """The session's real nodes with the server image imported and the kwok nodes cordoned."""
    real = real_nodes(api)
    if real is None:
        pytest.skip(NO_REAL_NODE)
    real.import_image(SERVER_IMAGE)
    with real.only():
        yield real


def _models_on_the_node(node: RealNodes) -> list[dict[str, Any]]:
    """models_objects in SPACE with the volume on the node's disk (a directory we own)."""
    script = TRAIN_SCRIPT.read_text()
    return models_objects(script, SERVER_IMAGE, SPACE, str(node.models))


def _pods_on(api: Local, selector: str) -> list[dict[str, Any]]:
    return api.items("pods", selector, SPACE)


def test_a_pod_of_our_image_trains_the_models_on_the_node_under_the_restricted_profile(
    node: RealNodes,
) -> None:
    node.api.apply(namespace(SPACE), *_models_on_the_node(node))
    node.api.kubectl("wait", "--for=condition=Complete", "-n", SPACE, f"job/{TRAIN_JOB}",
                     "--timeout=600s")  # fmt: skip
    [pod] = _pods_on(node.api, f"job-name={TRAIN_JOB}")
    assert pod["spec"]["nodeName"] == node.cpu.name
    assert pod["status"]["phase"] == "Succeeded"
    space = node.api.get("namespace", SPACE, None)
    assert space["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The files exist on this machine's disk: the container really ran and wrote them.
    for model in MODELS:
        assert any((node.models / model).iterdir()), model


def test_helm_install_runs_real_pods_and_helm_test_sends_a_prediction(
    node: RealNodes, tmp_path: Path
) -> None:
    graph = compile_graph(node.api, EXAMPLE, tmp_path)
    graph.values["namespace"] = SPACE
    graph.values_file.write_text(yaml.safe_dump(graph.values))
    with helm_release(node.api, graph):
        pods = _pods_on(node.api, f"app.kubernetes.io/instance={graph.name}")
        assert pods
        for pod in pods:
            assert pod["spec"]["nodeName"] == node.cpu.name, pod["metadata"]["name"]
            statuses = pod["status"]["containerStatuses"]
            assert all(s["ready"] and "running" in s["state"] for s in statuses), statuses
        # The containers are containerd's: the kubelet's pod sandboxes and our image's tasks.
        assert len(node.cpu.ctr("tasks", "ls", "-q").split()) >= 2 * len(pods)
        # helm test: the Service's short name through CoreDNS, then its ClusterIP (kube-proxy).
        done = node.api.helm("test", graph.name, "-n", SPACE, "--logs", "--timeout", "5m")
        assert "Phase:          Succeeded" in done.stdout, done.stdout
        assert "ok:" in done.stdout, done.stdout
        # The same request to the ClusterIP itself: kube-proxy's rules alone, no name resolved.
        test = graph.values["test"]
        host = test["url"].split("/")[2].split(":")[0]
        ip = node.api.get("service", host, SPACE)["spec"]["clusterIP"]
        client = _client_pod(test, test["url"].replace(f"//{host}:", f"//{ip}:"))
        node.api.apply(client)
        try:
            node.api.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "-n", SPACE,
                             "pod/cluster-ip-client", "--timeout=180s")  # fmt: skip
            assert "ok:" in node.api.kubectl("logs", "-n", SPACE, "cluster-ip-client").stdout
        finally:
            node.api.kubectl("delete", "pod", "-n", SPACE, "cluster-ip-client", "--wait=false")


# A client inside the cluster: POSTs the helm test's request to the orchestrator's Service
# (CoreDNS, kube-proxy) one after another until /load/stop exists, then prints its tally.
LOAD = """
import json, os, urllib.request
url, body = os.environ["URL"], os.environ["REQUEST"].encode()
sent, failures = 0, []
while not os.path.exists("/load/stop"):
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            answer.read()
    except Exception as error:
        failures.append(repr(error))
    sent += 1
print(json.dumps({"sent": sent, "failures": failures}))
"""


def test_rolling_update_of_the_image_fails_no_request_through_the_service(
    node: RealNodes, tmp_path: Path
) -> None:
    """`helm upgrade --wait` to the rolling-update tag while a pod on the node sends requests to
    the orchestrator's Service non-stop: none fails (readiness, preStop and kube-proxy's
    endpoints together), and every pod then runs the new image."""
    graph = compile_graph(node.api, EXAMPLE, tmp_path)
    graph.values["namespace"] = SPACE
    graph.values_file.write_text(yaml.safe_dump(graph.values))
    new_image = upgraded_image(SERVER_IMAGE)
    for real in (node.cpu, node.gpu):  # the same image under the new tag: no Docker, no copy
        if not real.has_image(new_image):
            real.ctr("images", "tag", SERVER_IMAGE, new_image)
    override = tmp_path / "upgrade.yaml"
    override.write_text(yaml.safe_dump(image_override(graph.values, new_image)))
    test = graph.values["test"]
    client = _client_pod(test, test["url"], "load-client", ["python3", "-c", LOAD])
    [container] = client["spec"]["containers"]
    container["volumeMounts"] = [{"name": "load", "mountPath": "/load"}]
    client["spec"]["volumes"] = [{"name": "load", "emptyDir": {}}]
    with helm_release(node.api, graph):
        node.api.apply(client)
        try:
            node.api.kubectl("wait", "--for=condition=Ready", "-n", SPACE, "pod/load-client",
                             "--timeout=120s")  # fmt: skip
            time.sleep(3)  # requests flowing before the rollout begins
            node.api.helm("upgrade", graph.name, CHART_DIR, "-n", SPACE, "-f", graph.values_file,
                          "-f", override, "--wait", "--timeout", "5m")  # fmt: skip
            time.sleep(5)  # and after it has ended
            node.api.kubectl("exec", "-n", SPACE, "load-client", "--", "touch", "/load/stop")
            node.api.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "-n", SPACE,
                             "pod/load-client", "--timeout=60s")  # fmt: skip
            tally = json.loads(node.api.kubectl("logs", "-n", SPACE, "load-client").stdout)
        finally:
            node.api.kubectl("delete", "pod", "-n", SPACE, "load-client", "--wait=false")
        pods = _pods_on(node.api, f"app.kubernetes.io/instance={graph.name}")
    assert tally["sent"] > 100, f"only {tally['sent']} requests during the rollout"
    assert tally["failures"] == [], f"{len(tally['failures'])} of {tally['sent']} failed"
    live = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
    assert {c["image"] for p in live for c in p["spec"]["containers"]} == {new_image}


def _client_pod(
    test: dict[str, Any],
    url: str,
    name: str = "cluster-ip-client",
    command: list[str] | None = None,
) -> dict[str, Any]:
    """The helm test's own command (or `command`; restricted profile) POSTing its request to
    `url`."""
    env = [{"name": "URL", "value": url}, {"name": "REQUEST", "value": test["request"]}]
    container = {
        "name": "client", "image": test["image"], "imagePullPolicy": "IfNotPresent",
        "command": command or test["command"], "env": env, "securityContext": container_security(),
    }  # fmt: skip
    metadata = {"name": name, "namespace": SPACE}
    spec = {"restartPolicy": "Never", "securityContext": pod_security(), "containers": [container]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def test_our_device_plugin_gives_the_gpu_node_its_gpu_and_a_pod_the_allocated_device(
    node: RealNodes, gpu_node: str, image: str
) -> None:
    """The GPU comes from tests/deviceplugin through the GPU kubelet's own device-plugins
    directory (node/up.sh's mount namespace), not from a status patch: the kubelet registered
    the plugin's device, and a pod asking for a GPU runs with the plugin's Allocate answer."""
    status = node.api.get("node", gpu_node, None)["status"]
    assert status["allocatable"][GPU_RESOURCE] == str(GPU_CAPACITY)
    pod = gpu_hog_pod("gpu-env", image, GPU_CAPACITY)
    pod["metadata"]["namespace"] = SPACE
    [container] = pod["spec"]["containers"]
    container["command"] = ["sh", "-c", f"echo {VISIBLE_DEVICES}=${VISIBLE_DEVICES}"]
    container.pop("args")
    node.api.apply(namespace(SPACE), pod)
    try:
        node.api.kubectl("wait", "--for=jsonpath={.status.phase}=Succeeded", "-n", SPACE,
                         "pod/gpu-env", "--timeout=180s")  # fmt: skip
        assert node.api.get("pod", "gpu-env", SPACE)["spec"]["nodeName"] == gpu_node
        logs = node.api.kubectl("logs", "-n", SPACE, "gpu-env").stdout
        assert logs == f"{VISIBLE_DEVICES}=fake-gpu-0\n", logs
    finally:
        node.api.kubectl("delete", "pod", "-n", SPACE, "gpu-env", "--wait=false")
    checkpoint = node.gpu.state / "device-plugins" / "kubelet_internal_checkpoint"
    registered = json.loads(checkpoint.read_text())["Data"]["RegisteredDevices"]
    assert registered == {GPU_RESOURCE: ["fake-gpu-0"]}, registered


def test_the_real_nodes_coredns_objects_pass_a_server_side_dry_run(api: Local) -> None:
    """Checked on every cluster run, real node or not: node/up.sh applies the same objects."""
    script = TOOLS / "node" / "coredns-manifest.sh"
    manifest = subprocess.run(["bash", script], env=api.env, capture_output=True, text=True,
                              check=True).stdout  # fmt: skip
    kinds = [o["kind"] for o in yaml.safe_load_all(manifest)]
    assert kinds == ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Service"]
    api.kubectl("apply", "--dry-run=server", "-f", "-", stdin=manifest)
