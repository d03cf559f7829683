"""One invalid input per rule, asserting the exact pointer and wording of each problem."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from infergraph.loading import load_text
from infergraph.vocabulary import VOCABULARY

from .docs import JSON, dump, native, problems, seldon

P0 = "/spec/predictors/0"
DNS = (
    "a DNS-1123 label: lowercase letters, digits and '-', "
    "starting and ending with a letter or digit, at most 63 characters"
)
PREPACKAGED = ", ".join(VOCABULARY.implementations)  # in declaration order


BATCHING = {"maxBatchSize": 32, "maxLatencyMs": 2}
TRITON = {"name": "clf", "implementation": "TRITON_SERVER", "modelUri": "gs://b/repository"}


def custom(name: str, kind: str = "MODEL", *children: JSON) -> JSON:
    return {"name": name, "type": kind, "image": f"me/{name}:1", "children": list(children)}


def sklearn(name: str) -> JSON:
    return {"name": name, "implementation": "SKLEARN_SERVER", "modelUri": f"gs://b/{name}"}


def predictor(name: str, **fields: JSON) -> JSON:
    return {"name": name, "graph": sklearn("clf"), **fields}


def graph(node: JSON) -> JSON:
    doc = native()
    doc["spec"]["predictors"][0]["graph"] = node
    return doc


def predictors(*items: JSON) -> JSON:
    return native(predictors=list(items))


def ab(parameters: list[JSON], **fields: JSON) -> JSON:
    children = [sklearn("a"), sklearn("b")]
    node = {"name": "ab", "implementation": "RANDOM_ABTEST", "parameters": parameters}
    return graph({**node, **fields, "children": children})


def gpu(resources: JSON) -> JSON:
    return graph({**custom("clf"), "resources": resources})


def param(kind: str, value: JSON) -> JSON:
    return graph({**custom("clf"), "parameters": [{"name": "p", "type": kind, "value": value}]})


def v2(doc: JSON, protocol: str = "v2") -> JSON:
    """`doc` with `spec.protocol` set."""
    doc["spec"]["protocol"] = protocol
    return doc


def meta(**fields: JSON) -> JSON:
    doc = native()
    doc["metadata"].update(fields)
    return doc


#: a KEDA trigger on the orchestrator's Seldon metrics
PROMETHEUS: JSON = {
    "type": "prometheus",
    "metadata": {"serverAddress": "http://p:9090", "query": "up", "threshold": "1"},
}

CASES: dict[str, tuple[Callable[[], JSON], list[str]]] = {
    "graph name not DNS-1123": (
        lambda: meta(name="Iris_1"),
        [f'/metadata/name: "Iris_1" is not valid; expected {DNS}'],
    ),
    "graph name too long": (
        lambda: meta(name="a" * 64),
        [f'/metadata/name: "{"a" * 56}... is 64 characters long; expected at most 63'],
    ),
    "predictor name not DNS-1123": (
        lambda: predictors(predictor("Main")),
        [f'{P0}/name: "Main" is not valid; expected {DNS}'],
    ),
    "node name not DNS-1123": (
        lambda: graph(sklearn("-clf")),
        [f'{P0}/graph/name: "-clf" is not valid; expected {DNS}'],
    ),
    "node names unique in a predictor": (
        lambda: graph(custom("c", "COMBINER", custom("a"), custom("a"))),
        [
            f'{P0}/graph/children/1/name: "a" is already used at {P0}/graph/children/0; '
            "expected unique node names in a predictor"
        ],
    ),
    "predictor names unique": (
        lambda: predictors(predictor("a", traffic=50), predictor("a", traffic=50)),
        [
            '/spec/predictors/1/name: "a" is already used at /spec/predictors/0; '
            "expected unique predictor names"
        ],
    ),
    "traffic sums to 100": (
        lambda: predictors(predictor("a", traffic=80), predictor("b", traffic=10)),
        ['/spec/predictors: traffic sums to 90 ("a": 80, "b": 10); expected 100'],
    ),
    "only one predictor omits traffic": (
        lambda: predictors(predictor("a"), predictor("b")),
        [
            '/spec/predictors/1/traffic: is missing, as on "a"; '
            "expected traffic on every predictor but one (that one gets the rest)"
        ],
    ),
    "the omitted share cannot be negative": (
        lambda: predictors(predictor("a", traffic=80), predictor("b", traffic=30), predictor("c")),
        [
            '/spec/predictors: traffic sums to 110 ("a": 80, "b": 30); '
            'expected at most 100, the rest going to "c"'
        ],
    ),
    "a single predictor takes all traffic": (
        lambda: predictors(predictor("a", traffic=50)),
        [
            f"{P0}/traffic: 50 leaves 50 percent of requests unserved; "
            "expected 100, 0 or no traffic for the only predictor"
        ],
    ),
    "a shadow needs a main predictor": (
        lambda: predictors(predictor("s", shadow=True)),
        [
            f'{P0}/shadow: shadow predictor "s" has no main predictor to mirror; '
            "expected at least one predictor without shadow: true"
        ],
    ),
    "at most one shadow": (
        lambda: predictors(
            predictor("a"), predictor("s", shadow=True), predictor("t", shadow=True)
        ),
        [
            '/spec/predictors/2/shadow: "t" is a second shadow predictor; expected at most '
            'one (traffic is mirrored to one destination, "s")'
        ],
    ),
    "ROUTER has two children or more": (
        lambda: graph(custom("r", "ROUTER", custom("a"))),
        [f'{P0}/graph/children: ROUTER "r" has 1 child; expected at least 2'],
    ),
    "RANDOM_ABTEST has exactly two children": (
        lambda: graph(
            {
                "name": "r",
                "implementation": "RANDOM_ABTEST",
                "children": [sklearn("a"), sklearn("b"), sklearn("c")],
            }
        ),
        [f'{P0}/graph/children: RANDOM_ABTEST "r" has 3 children; expected exactly 2'],
    ),
    "COMBINER has a child": (
        lambda: graph({"name": "c", "implementation": "AVERAGE_COMBINER"}),
        [f'{P0}/graph/children: AVERAGE_COMBINER "c" has 0 children; expected at least 1'],
    ),
    "fallback only on a ROUTER": (
        lambda: graph({**sklearn("clf"), "fallback": True}),
        [
            f'{P0}/graph/fallback: is set on MODEL "clf"; '
            "expected it only on a ROUTER (it picks a child)"
        ],
    ),
    "batching only on a node type that batches": (
        lambda: graph({**custom("t", "TRANSFORMER"), "batching": BATCHING}),
        [f'{P0}/graph/batching: is set on TRANSFORMER "t"; expected it only on: MODEL'],
    ),
    "batching only on a batchable implementation": (
        lambda: graph(
            {
                "name": "c",
                "implementation": "AVERAGE_COMBINER",
                "type": "MODEL",
                "children": [sklearn("a")],
                "batching": BATCHING,
            }
        ),
        [
            f'{P0}/graph/batching: is set on AVERAGE_COMBINER "c", which does not batch; '
            "batchable implementations: SKLEARN_SERVER, XGBOOST_SERVER, LIGHTGBM_SERVER, "
            "ONNX_SERVER, MLFLOW_SERVER",
            f'{P0}/graph/type: "MODEL" does not match implementation AVERAGE_COMBINER; '
            "expected COMBINER or no type",
        ],
    ),
    "batching limits": (
        lambda: graph({**sklearn("clf"), "batching": {"maxBatchSize": 0, "maxLatencyMs": 0}}),
        [
            f"{P0}/graph/batching/maxBatchSize: 0 is too small; expected at least 1",
            f"{P0}/graph/batching/maxLatencyMs: 0 is too small; expected at least 0.001",
        ],
    ),
    "INT parameter": (
        lambda: param("INT", "3.5"),
        [
            f'{P0}/graph/parameters/0/value: "3.5" is not a valid INT; '
            'expected an integer such as "3"'
        ],
    ),
    "FLOAT parameter": (
        lambda: param("FLOAT", "nan"),
        [
            f'{P0}/graph/parameters/0/value: "nan" is not a valid FLOAT; '
            'expected a finite number such as "0.5"'
        ],
    ),
    "DOUBLE parameter": (
        lambda: param("DOUBLE", True),
        [
            f"{P0}/graph/parameters/0/value: true is not a valid DOUBLE; "
            'expected a finite number such as "0.5"'
        ],
    ),
    "BOOL parameter": (
        lambda: param("BOOL", "yes"),
        [
            f'{P0}/graph/parameters/0/value: "yes" is not a valid BOOL; '
            'expected true, false, "1" or "0"'
        ],
    ),
    "STRING parameter": (
        lambda: param("STRING", 1.1),
        [
            f"{P0}/graph/parameters/0/value: 1.1 is not a valid STRING; "
            'expected a string (quote numbers: "1.10")'
        ],
    ),
    "JSON parameter": (
        lambda: param("JSON", "{bad"),
        [f'{P0}/graph/parameters/0/value: "{{bad" is not a valid JSON; expected a JSON document'],
    ),
    "parameter names unique": (
        lambda: graph(
            {
                **custom("clf"),
                "parameters": [
                    {"name": "p", "type": "INT", "value": "1"},
                    {"name": "p", "type": "INT", "value": "2"},
                ],
            }
        ),
        [
            f'{P0}/graph/parameters/1/name: "p" is already a parameter of this node; '
            "expected unique names"
        ],
    ),
    "GPU count is a positive integer": (
        lambda: gpu({"limits": {"nvidia.com/gpu": "0.5"}}),
        [
            f'{P0}/graph/resources/limits/nvidia.com~1gpu: "0.5" is not a GPU count; '
            "expected a positive integer such as 1"
        ],
    ),
    "GPU requests equal limits": (
        lambda: gpu({"requests": {"nvidia.com/gpu": 1}, "limits": {"nvidia.com/gpu": 2}}),
        [
            f'{P0}/graph/resources/requests/nvidia.com~1gpu: "1" differs from limits "2"; '
            'expected limits "nvidia.com/gpu" equal to requests, or limits alone'
        ],
    ),
    "GPU requests need limits": (
        lambda: gpu({"requests": {"nvidia.com/gpu": 1}}),
        [
            f'{P0}/graph/resources/requests/nvidia.com~1gpu: "1" is set without limits; '
            'expected limits "nvidia.com/gpu" equal to requests, or limits alone'
        ],
    ),
    "modelUri scheme": (
        lambda: graph({**sklearn("clf"), "modelUri": "hdfs://nn/iris"}),
        [
            f'{P0}/graph/modelUri: "hdfs://nn/iris" has an unsupported scheme "hdfs"; '
            "expected gs://, s3://, https://, http://, pvc://, file:// or a local path"
        ],
    ),
    "modelUri location": (
        lambda: graph({**sklearn("clf"), "modelUri": "s3://"}),
        [
            f'{P0}/graph/modelUri: "s3://" has no location after the scheme; '
            "expected e.g. s3://bucket/model"
        ],
    ),
    "modelUri claim": (
        lambda: graph({**sklearn("clf"), "modelUri": "pvc://My_Claim/iris"}),
        [
            f'{P0}/graph/modelUri: "pvc://My_Claim/iris" does not start with a claim name; '
            "expected pvc://<claim>/<path>"
        ],
    ),
    "SKLEARN_SERVER needs a modelUri": (
        lambda: graph({"name": "clf", "implementation": "SKLEARN_SERVER"}),
        [
            f"{P0}/graph/modelUri: required by implementation SKLEARN_SERVER; expected the "
            "model location (gs://, s3://, https://, http://, pvc://, file:// or a local path)"
        ],
    ),
    "prepackaged implementation with a custom image": (
        lambda: graph({**sklearn("clf"), "image": "me/clf:1"}),
        [
            f"{P0}/graph/image: is set on a node with implementation SKLEARN_SERVER, which "
            "runs on infergraph's server image; expected no image, or no implementation"
        ],
    ),
    "prepackaged implementation with a custom container": (
        lambda: seldon(graph=sklearn("clf")),
        [
            f"{P0}/componentSpecs/0/spec/containers/0/image: is set on a node with "
            "implementation SKLEARN_SERVER, which runs on infergraph's server image; "
            "expected no image, or no implementation"
        ],
    ),
    "a container matches a node": (
        lambda: seldon(
            componentSpecs=[
                {
                    "spec": {
                        "containers": [{"name": "clf", "image": "a"}, {"name": "x", "image": "b"}]
                    }
                }
            ]
        ),
        [
            f'{P0}/componentSpecs/0/spec/containers/1/name: "x" matches no graph node; '
            'expected the name of a node: "clf"'
        ],
    ),
    "one container per node": (
        lambda: seldon(
            componentSpecs=[
                {"spec": {"containers": [{"name": "clf", "image": "a"}]}},
                {"spec": {"containers": [{"name": "clf", "image": "b"}]}},
            ]
        ),
        [
            f'{P0}/componentSpecs/1/spec/containers/0/name: "clf" is already a container at '
            f"{P0}/componentSpecs/0/spec/containers/0; expected one container per graph node"
        ],
    ),
    "a custom node has an image": (
        lambda: graph({"name": "clf", "type": "MODEL"}),
        [
            f'{P0}/graph: node "clf" has no implementation and no image; expected an '
            f'implementation ({PREPACKAGED}), an image, or a componentSpecs container "clf" '
            "with an image"
        ],
    ),
    "an image is given once": (
        lambda: seldon(graph={"name": "clf", "image": "me/other:1"}),
        [
            f"{P0}/graph/image: is also set at {P0}/componentSpecs/0/spec/containers/0/image; "
            "expected it in one place"
        ],
    ),
    "type agrees with the implementation": (
        lambda: graph(
            {
                "name": "r",
                "type": "MODEL",
                "implementation": "RANDOM_ABTEST",
                "children": [sklearn("a"), sklearn("b")],
            }
        ),
        [
            f'{P0}/graph/type: "MODEL" does not match implementation RANDOM_ABTEST; '
            "expected ROUTER or no type"
        ],
    ),
    "autoscaling range": (
        lambda: graph({**sklearn("clf"), "autoscaling": {"minReplicas": 5, "maxReplicas": 2}}),
        [
            f"{P0}/graph/autoscaling/minReplicas: 5 is above maxReplicas 2; "
            "expected minReplicas at most maxReplicas"
        ],
    ),
    "autoscaling given once": (
        lambda: seldon(
            graph={"name": "clf", "autoscaling": {"maxReplicas": 2}},
            componentSpecs=[
                {
                    "hpaSpec": {"maxReplicas": 3},
                    "spec": {"containers": [{"name": "clf", "image": "a"}]},
                }
            ],
        ),
        [
            f"{P0}/graph/autoscaling: is also set at {P0}/componentSpecs/0/hpaSpec; "
            "expected it in one place"
        ],
    ),
    "hpaSpec and kedaSpec given once": (
        lambda: seldon(
            componentSpecs=[
                {
                    "hpaSpec": {"maxReplicas": 3},
                    "kedaSpec": {"triggers": [PROMETHEUS]},
                    "spec": {"containers": [{"name": "clf", "image": "a"}]},
                }
            ],
        ),
        [
            f"{P0}/componentSpecs/0/hpaSpec: is also set at {P0}/componentSpecs/0/kedaSpec; "
            "expected it in one place"
        ],
    ),
    "scale to zero only with KEDA": (
        lambda: graph({**sklearn("clf"), "autoscaling": {"minReplicas": 0, "maxReplicas": 2}}),
        [
            f"{P0}/graph/autoscaling/minReplicas: 0 needs KEDA: a HorizontalPodAutoscaler keeps "
            "at least 1 replica; expected 1 or more, or keda with minReplicaCount 0"
        ],
    ),
    "scale to zero only with KEDA, in an hpaSpec": (
        lambda: seldon(
            componentSpecs=[
                {
                    "hpaSpec": {"minReplicas": 0, "maxReplicas": 3},
                    "spec": {"containers": [{"name": "clf", "image": "a"}]},
                }
            ],
        ),
        [
            f"{P0}/componentSpecs/0/hpaSpec/minReplicas: 0 needs KEDA: a HorizontalPodAutoscaler "
            "keeps at least 1 replica; expected 1 or more, or a kedaSpec with minReplicaCount 0"
        ],
    ),
    "keda stands alone and its range holds": (
        lambda: graph(
            {
                **sklearn("clf"),
                "autoscaling": {
                    "maxReplicas": 3,
                    "keda": {"minReplicaCount": 4, "maxReplicaCount": 2, "triggers": [PROMETHEUS]},
                },
            }
        ),
        [
            f"{P0}/graph/autoscaling/keda/minReplicaCount: 4 is above maxReplicaCount 2; "
            "expected minReplicaCount at most maxReplicaCount",
            f"{P0}/graph/autoscaling/maxReplicas: is set beside keda at {P0}/graph/autoscaling/"
            "keda; expected keda alone (its minReplicaCount, maxReplicaCount and triggers)",
        ],
    ),
    "an HPA needs maxReplicas unless it is keda": (
        lambda: graph({**sklearn("clf"), "autoscaling": {"minReplicas": 1}}),
        [
            f"{P0}/graph/autoscaling/maxReplicas: required field is missing; expected "
            "maxReplicas of a HorizontalPodAutoscaler, or keda instead"
        ],
    ),
    "zero replicas need a trigger that wakes the node": (
        lambda: graph(
            {
                **sklearn("clf"),
                "autoscaling": {
                    "keda": {"triggers": [{"type": "cpu", "metadata": {"value": "50"}}]}
                },
            }
        ),
        [
            f"{P0}/graph/autoscaling/keda/minReplicaCount: 0 needs a trigger that can wake the "
            'node from zero, and "cpu" cannot; expected minReplicaCount 1 or more, or another '
            "trigger (prometheus, ...)"
        ],
    ),
    "a trigger authenticates one way": (
        lambda: graph(
            {
                **sklearn("clf"),
                "autoscaling": {
                    "keda": {
                        "triggers": [
                            {
                                **PROMETHEUS,
                                "authenticationRef": {"name": "mine"},
                                "secretTargetRef": [{"parameter": "p", "name": "s", "key": "k"}],
                            }
                        ]
                    }
                },
            }
        ),
        [
            f"{P0}/graph/autoscaling/keda/triggers/0/secretTargetRef: is set beside "
            "authenticationRef; expected one of them"
        ],
    ),
    "HPA metrics: one member per type, the target's value, no CPU target beside": (
        lambda: graph(
            {
                **sklearn("clf"),
                "autoscaling": {
                    "maxReplicas": 3,
                    "targetCPUUtilizationPercentage": 50,
                    "metrics": [
                        {
                            "type": "Pods",
                            "resource": {"name": "cpu", "target": {"type": "Utilization"}},
                        },
                        {
                            "type": "External",
                            "external": {
                                "metric": {"name": "queue"},
                                "target": {"type": "Utilization", "value": "3"},
                            },
                        },
                    ],
                },
            }
        ),
        [
            f"{P0}/graph/autoscaling/metrics: is set beside targetCPUUtilizationPercentage at "
            f"{P0}/graph/autoscaling; expected one of them",
            f"{P0}/graph/autoscaling/metrics/0/pods: required field is missing; type Pods needs it",
            f"{P0}/graph/autoscaling/metrics/0/resource: is set on a metric of type Pods; "
            "expected pods only",
            f"{P0}/graph/autoscaling/metrics/1/external/target/averageUtilization: required field "
            "is missing; type Utilization needs it",
            f'{P0}/graph/autoscaling/metrics/1/external/target/type: "Utilization" is for '
            "Resource metrics only; expected Value or AverageValue for a External metric",
            f"{P0}/graph/autoscaling/metrics/1/external/target/value: is set on a target of type "
            "Utilization; expected averageUtilization only",
        ],
    ),
    "honoured seldon.io annotation values parse": (
        lambda: meta(annotations={"seldon.io/rest-timeout": "soon"}),
        [
            '/metadata/annotations/seldon.io~1rest-timeout: "soon" is not valid; '
            "expected a whole number of milliseconds above 0"
        ],
    ),
    "unknown field, with a suggestion": (
        lambda: graph({**sklearn("clf"), "modelURI": "gs://b/x"}),
        [
            f'{P0}/graph/modelURI: "modelURI" is not a supported field; did you mean '
            '"modelUri"? supported: autoscaling, batching, children, endpoint, envSecretRefName, '
            "fallback, image, implementation, logger, modelUri, name, parameters, replicas, "
            "resources, type"
        ],
    ),
    "required field": (
        lambda: {**native(), "metadata": {}},
        [
            "/metadata/name: required field is missing; "
            "expected the graph name G, first part of every object name"
        ],
    ),
    "enum": (
        lambda: native(protocol="tensorflow"),
        ['/spec/protocol: "tensorflow" is not supported; expected one of: "seldon", "v2"'],
    ),
    "type": (
        lambda: predictors(predictor("main", replicas="3")),
        [f'{P0}/replicas: "3" is a string; expected an integer'],
    ),
    "label key": (
        lambda: meta(labels={"bad key": "x"}),
        [
            '/metadata/labels/bad key: key "bad key" is not valid; expected a label or '
            "annotation key: an optional DNS subdomain prefix and '/', then at most 63 "
            "letters, digits, '-', '_' or '.'"
        ],
    ),
    "unsupported SeldonDeployment field": (
        lambda: seldon(explainer={"type": "AnchorTabular"}),
        [
            f'{P0}/explainer: "explainer" is not a supported field; supported: annotations, '
            "componentSpecs, graph, labels, name, replicas, shadow, svcOrchSpec, traffic"
        ],
    ),
    "unsupported prepackaged server": (
        lambda: seldon(
            graph={"name": "clf", "implementation": "TENSORFLOW_SERVER"}, componentSpecs=[]
        ),
        [
            f'{P0}/graph/implementation: "TENSORFLOW_SERVER" is not supported; expected one of: '
            + ", ".join(f'"{name}"' for name in VOCABULARY.implementations)
        ],
    ),
    "a parameter an implementation does not declare": (
        lambda: graph(
            {**sklearn("clf"), "parameters": [{"name": "mthd", "type": "STRING", "value": "x"}]}
        ),
        [
            f'{P0}/graph/parameters/0/name: "mthd" is not a parameter of SKLEARN_SERVER; '
            "expected one of: method"
        ],
    ),
    "a parameter an implementation requires": (
        lambda: graph(
            {
                "name": "eg",
                "implementation": "EPSILON_GREEDY",
                "children": [sklearn("a"), sklearn("b")],
            }
        ),
        [
            f'{P0}/graph/parameters: has no "n_branches", which EPSILON_GREEDY requires; '
            "expected a parameter {name: n_branches, type: INT, value: ...} "
            "(the number of children)"
        ],
    ),
    "a parameter of the wrong type": (
        lambda: ab([{"name": "ratioA", "type": "STRING", "value": "0.3"}]),
        [
            f'{P0}/graph/parameters/0/type: "STRING" is not the type of ratioA; '
            "expected FLOAT or DOUBLE"
        ],
    ),
    "a parameter out of its declared range": (
        lambda: ab([{"name": "ratioA", "type": "DOUBLE", "value": "1.5"}]),
        [
            f"{P0}/graph/parameters/0/value: 1.5 is out of range; expected from 0 to 1 "
            "(the share of requests child 0 gets)"
        ],
    ),
    "a parameter below its declared minimum": (
        lambda: graph(
            {
                "name": "eg",
                "implementation": "EPSILON_GREEDY",
                "parameters": [{"name": "n_branches", "type": "INT", "value": 0}],
                "children": [sklearn("a"), sklearn("b")],
            }
        ),
        [
            f"{P0}/graph/parameters/0/value: 0 is out of range; expected at least 1 "
            "(the number of children)"
        ],
    ),
    "a parameter outside its declared choices": (
        lambda: graph(
            {**sklearn("clf"), "parameters": [{"name": "method", "type": "STRING", "value": "fit"}]}
        ),
        [
            f'{P0}/graph/parameters/0/value: "fit" is not supported; expected one of: '
            '"predict", "predict_proba", "decision_function"'
        ],
    ),
    "a modelUri on an implementation that loads no model": (
        lambda: ab([], modelUri="gs://b/x"),
        [
            f"{P0}/graph/modelUri: is set on implementation RANDOM_ABTEST, which loads no model; "
            "expected none"
        ],
    ),
    "an implementation answering V2 only, in a graph of the default protocol": (
        lambda: graph(TRITON),
        [
            f"{P0}/graph/implementation: TRITON_SERVER does not answer the graph's protocol "
            '"seldon" (spec.protocol; omitted: seldon); expected spec.protocol: v2, or a '
            "custom container"
        ],
    ),
    "an implementation answering V2 only, in a graph that says seldon": (
        lambda: v2(graph(TRITON), "seldon"),
        [
            f"{P0}/graph/implementation: TRITON_SERVER does not answer the graph's protocol "
            '"seldon" (spec.protocol; omitted: seldon); expected spec.protocol: v2, or a '
            "custom container"
        ],
    ),
    "graph-wide images only for implementations with a container of their own": (
        lambda: native(protocol="v2", images={"SKLEARN_SERVER": "me/s:1", "NOPE": "me/n:1"}),
        [
            '/spec/images/NOPE: "NOPE" is no implementation; expected an implementation that '
            "runs its own container: TRITON_SERVER",
            '/spec/images/SKLEARN_SERVER: "SKLEARN_SERVER" runs in infergraph\'s server image; '
            "expected an implementation that runs its own container: TRITON_SERVER",
        ],
    ),
    "an image override given on the node and in its componentSpecs container": (
        lambda: v2(seldon(graph={**TRITON, "image": "me/triton:2"})),
        [
            f"{P0}/graph/image: is also set at {P0}/componentSpecs/0/spec/containers/0/image; "
            "expected it in one place"
        ],
    ),
    "kind": (
        lambda: {**native(), "kind": "Deployment"},
        ['/kind: "Deployment" is not supported; expected one of: InferenceGraph, SeldonDeployment'],
    ),
    "tracing endpoint is an http(s) URL": (
        lambda: native(tracing={"endpoint": "otel-collector:4318"}),
        [
            '/spec/tracing/endpoint: "otel-collector:4318" is not an http(s) URL with a host; '
            "expected the collector's OTLP/HTTP base URL, e.g. "
            "http://otel-collector.observability:4318"
        ],
    ),
    "tracing endpoint has no query": (
        lambda: native(tracing={"endpoint": "http://c:4318/?x=1", "samplerRatio": 0.5}),
        [
            '/spec/tracing/endpoint: "http://c:4318/?x=1" has a query or fragment; '
            "expected the collector's OTLP/HTTP base URL, e.g. "
            "http://otel-collector.observability:4318"
        ],
    ),
    "tracing needs an endpoint and a ratio within 0..1": (
        lambda: native(tracing={"samplerRatio": 1.5, "sampler": "always_on"}),
        [
            "/spec/tracing/endpoint: required field is missing; expected OTLP/HTTP base URL "
            "of the collector (OTEL_EXPORTER_OTLP_ENDPOINT; spans go to its /v1/traces), e.g. "
            "http://otel-collector.observability:4318",
            '/spec/tracing/sampler: "sampler" is not a supported field; did you mean '
            '"samplerRatio"? supported: endpoint, samplerRatio',
            "/spec/tracing/samplerRatio: 1.5 is too large; expected at most 1",
        ],
    ),
    "top level is a mapping": (
        lambda: "- just\n- a list\n",
        ["the document is a list; expected a mapping with apiVersion, kind, metadata, spec"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_rule(case: str) -> None:
    make, expected = CASES[case]
    assert problems(make()) == expected


def test_schema_and_semantic_problems_are_reported_together() -> None:
    doc = graph(custom("r", "ROUTER", {**sklearn("m"), "modelUri": "ftp://x"}))
    doc["metadata"]["name"] = "Bad_Name"
    doc["spec"]["predictors"][0]["graph"]["imagePullPolicy"] = "Always"
    assert [p.split(":")[0] for p in problems(doc)] == [
        "/metadata/name",
        f"{P0}/graph/children",
        f"{P0}/graph/children/0/modelUri",
        f"{P0}/graph/imagePullPolicy",
    ]


def test_a_wrong_shape_stops_before_the_semantic_rules() -> None:
    doc = graph(custom("r", "ROUTER", {**sklearn("m"), "modelUri": "ftp://x"}))
    doc["spec"]["predictors"][0]["replicas"] = "two"
    assert problems(doc) == [f'{P0}/replicas: "two" is a string; expected an integer']


def test_all_problems_are_reported_sorted_by_pointer() -> None:
    doc = predictors(
        predictor("b", traffic=10, graph=custom("r", "ROUTER", custom("x"))),
        predictor("a", traffic=10, graph={**sklearn("m"), "modelUri": "ftp://x/y"}),
    )
    assert [p.split(":")[0] for p in problems(doc)] == [
        "/spec/predictors",
        "/spec/predictors/0/graph/children",
        "/spec/predictors/1/graph/modelUri",
    ]


def test_pointers_sort_numerically() -> None:
    doc = predictors(*[predictor(f"p{i}", traffic=10, graph=custom("X")) for i in range(10)])
    doc["spec"]["predictors"].append(predictor("p10", graph=custom("X")))
    pointers = [p.split(":")[0] for p in problems(doc)]
    assert pointers[:3] == [f"/spec/predictors/{i}/graph/name" for i in (0, 1, 2)]
    assert pointers[-1] == "/spec/predictors/10/graph/name"


def test_problems_carry_file_line_and_column() -> None:
    text = dump(graph({**sklearn("clf"), "modelUri": "hdfs://x"}))
    with pytest.raises(Exception) as caught:
        load_text(text, "g.yaml")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "modelUri" in t)
    assert str(caught.value).startswith(f"g.yaml:{line}:7: {P0}/graph/modelUri: ")
