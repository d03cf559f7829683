"""An implementation that runs its own container (TRITON_SERVER): what the compiler writes.

The declaration (schemas/implementations.json) gives the image, the args and the flag for each
compiled setting; the node keeps our ports, probes, security context and GPU rules.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from infergraph import defaults
from infergraph.checks import check_objects
from infergraph.compile import compile_values
from infergraph.errors import InvalidGraph
from infergraph.loading import load_text
from infergraph.local import plan_local
from infergraph.render import render_values
from infergraph.vocabulary import VOCABULARY

DECLARED = VOCABULARY.implementations["TRITON_SERVER"].container
assert DECLARED is not None
JSON = Any


def _doc(node: JSON, images: JSON = None, kind: str = "InferenceGraph") -> str:
    spec: JSON = {"protocol": "v2", "predictors": [{"name": "main", "graph": node}]}
    if images is not None:
        spec["images"] = images
    api = "infergraph.io/v1alpha1" if kind == "InferenceGraph" else "machinelearning.seldon.io/v1"
    doc = {"apiVersion": api, "kind": kind, "metadata": {"name": "g"}, "spec": spec}
    return json.dumps(doc)


def _node(uri: str = "pvc://models/repository", **fields: JSON) -> JSON:
    return {"name": "gpt2", "implementation": "TRITON_SERVER", "modelUri": uri, **fields}


def _compiled(text: str) -> JSON:
    values: JSON = compile_values(load_text(text, "g.yaml"))
    return values["predictors"]["main"]


def test_the_container_is_tritons_with_our_ports_and_the_model_mount() -> None:
    predictor = _compiled(_doc(_node()))
    container = predictor["nodes"]["gpt2"]["container"]
    assert container["image"] == DECLARED.image and DECLARED.image.startswith(
        "nvcr.io/nvidia/tritonserver:"
    )
    assert container["command"] is None  # the image's entrypoint runs the args
    assert container["args"] == [
        "tritonserver",
        "--model-repository=/mnt/pvc/repository",
        f"--http-port={defaults.HTTP_PORT}",
        f"--grpc-port={defaults.GRPC_PORT}",
        f"--metrics-port={defaults.METRICS_PORT}",
    ]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {
        "http": defaults.HTTP_PORT,
        "grpc": defaults.GRPC_PORT,
        "metrics": defaults.METRICS_PORT,
    }
    assert container["env"] == []  # none of our server's settings: Triton reads its args
    for probe, path in [
        ("livenessProbe", "/v2/health/live"),
        ("readinessProbe", "/v2/health/ready"),
        ("startupProbe", "/v2/health/ready"),
    ]:
        assert container[probe]["httpGet"] == {"path": path, "port": "http", "scheme": "HTTP"}
    runtime = json.loads(predictor["runtimeJson"])["root"]
    assert (runtime["protocol"], runtime["readinessPath"], runtime["image"]) == (
        "v2",
        "/v2/health/ready",
        DECLARED.image,
    )


def test_a_remote_repository_is_copied_by_the_storage_initializer_and_read_there() -> None:
    node = _compiled(_doc(_node("gs://seldon-models/triton/onnx_gpt2")))["nodes"]["gpt2"]
    assert f"--model-repository={defaults.MODEL_MOUNT_PATH}" in node["container"]["args"]
    assert node["initContainers"][0]["args"] == [
        "gs://seldon-models/triton/onnx_gpt2",
        defaults.MODEL_MOUNT_PATH,
    ]


def test_the_image_is_overridden_by_the_node_else_graph_wide() -> None:
    graph_wide = {"TRITON_SERVER": "registry.local/tritonserver:mirror"}
    assert (
        _compiled(_doc(_node(), graph_wide))["nodes"]["gpt2"]["container"]["image"]
        == "registry.local/tritonserver:mirror"
    )
    own = _node(image="registry.local/tritonserver:own")
    for text in (_doc(own), _doc(own, graph_wide)):
        predictor = _compiled(text)
        assert predictor["nodes"]["gpt2"]["container"]["image"] == "registry.local/tritonserver:own"
        assert json.loads(predictor["runtimeJson"])["root"]["image"] == (
            "registry.local/tritonserver:own"
        )


def test_a_seldondeployment_overrides_the_image_in_its_componentspecs_container() -> None:
    doc = json.loads(_doc(_node(), kind="SeldonDeployment"))
    env = [{"name": "LD_PRELOAD", "value": "/opt/x.so"}]
    container = {"name": "gpt2", "image": "me/triton:1", "env": env}
    doc["spec"]["predictors"][0]["componentSpecs"] = [{"spec": {"containers": [container]}}]
    node = _compiled(json.dumps(doc))["nodes"]["gpt2"]["container"]
    assert (node["image"], node["env"]) == ("me/triton:1", env)


def test_a_gpu_node_gets_the_gpu_limit_and_toleration_and_stays_restricted() -> None:
    resources = {"limits": {"nvidia.com/gpu": 1, "memory": "8Gi"}}
    values: JSON = compile_values(load_text(_doc(_node(resources=resources)), "g.yaml"))
    node = values["predictors"]["main"]["nodes"]["gpt2"]
    assert node["container"]["resources"]["limits"] == {"memory": "8Gi", "nvidia.com/gpu": "1"}
    assert node["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert node["podSecurityContext"]["runAsNonRoot"] is True
    assert node["podSecurityContext"]["runAsUser"] == defaults.RUN_AS_USER
    assert node["container"]["securityContext"]["readOnlyRootFilesystem"] is True
    for engine in ("helm", "jsonnet"):
        problems = check_objects(render_values(values, engine))
        assert not problems, "\n".join(map(str, problems))


def test_infergraph_up_refuses_it_naming_the_node_and_the_ways_out(tmp_path: Any) -> None:
    graph = load_text(_doc(_node()), "g.yaml")
    with pytest.raises(InvalidGraph) as caught:
        plan_local(graph, compile_values(graph), 18000, str(tmp_path), str(tmp_path), "v")
    (problem,) = caught.value.problems
    assert problem.pointer == "/spec/predictors/0/graph/implementation"
    assert f'TRITON_SERVER runs its own image "{DECLARED.image}"' in problem.message
    assert "--runtime containers" in problem.message and "INFERGRAPH_CLASS" in problem.message
