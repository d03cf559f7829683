"""The plan behind `infergraph up`: which local processes run a compiled graph, on which ports.

Pure: compiled values (and the typed graph, for `modelUri`) in, a `LocalPlan` out; `up.py`
does the I/O. Every graph node becomes an `infergraph-server component` process, every
predictor an `infergraph-server orchestrator` reading its runtime graph rewritten to
loopback ports, and one `infergraph-server gateway` on the asked port splits traffic between
predictors and mirrors shadows, as the VirtualService or HTTPRoute does in a cluster, from the
compiled routing (`routing` and the predictors' weights) whichever of the two is on. The
receivers of payload-logging events start first: a graph with a log sink gets an
`infergraph-server logsink`, writing where its volume would be (the volumes directory's
`<claim>/` for a PersistentVolumeClaim, the run directory for an emptyDir), and each detector an
`infergraph-server detector`; logger urls naming them (`sink`, `detector:NAME`) are resolved to
loopback (compile/log_targets.py). Ports are the gateway's port + 1, + 2, ...: HTTP and metrics
of the sink, HTTP, gRPC and metrics for each node and orchestrator, then HTTP and metrics for
each detector.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from urllib.parse import urlsplit

from .compile.log_targets import DETECTOR, SINK, effective_logger, resolve_target, targets
from .errors import InvalidGraph, Problem
from .model import Detector, Graph, Node, Predictor
from .pointers import JSON
from .vocabulary import VOCABULARY

__all__ = [
    "LOOPBACK",
    "LocalPlan",
    "LocalProcess",
    "gateway_upstream",
    "local_model_path",
    "plan_local",
]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LocalProcess:
    """One `infergraph-server` process: `args` follow the command, `env` adds to the caller's."""

    name: str  # "logsink", "node main/clf", "orchestrator main" or "gateway"
    args: tuple[str, ...]
    env: Mapping[str, str]
    port: int  # HTTP port on LOOPBACK
    ready_path: str | None  # None: ready once the port accepts connections
    grpc_port: int | None = None  # None: no gRPC (the gateway)
    metrics_port: int | None = None  # None: no metrics server (the gateway)

    def listeners(self) -> list[tuple[int, str]]:
        """Every port it listens on, each with what for: `(8081, "node main/clf http")`."""
        ports = [(self.port, "http"), (self.grpc_port, "grpc"), (self.metrics_port, "metrics")]
        return [(port, f"{self.name} {kind}") for port, kind in ports if port is not None]


@dataclass(frozen=True)
class LocalPlan:
    """Processes in start order (nodes, orchestrators, gateway) and the files they read."""

    processes: tuple[LocalProcess, ...]
    files: Mapping[str, str]  # file name in the run directory -> content
    port: int  # the gateway's
    request_path: str  # a ready-to-send example request (the helm test's)
    request_body: str
    targets: Mapping[str, str] = field(default_factory=dict)  # `sink`, `detector:NAME` -> URL

    def listeners(self) -> list[tuple[int, str]]:
        """Every port of every process, in port order."""
        return sorted(item for process in self.processes for item in process.listeners())


def local_model_path(uri: str, base: str, volumes: str) -> str:
    """The filesystem path a node reads its model from when run locally.

    `pvc://CLAIM/PATH` is `volumes/CLAIM/PATH`; `file://` URIs and plain paths are paths
    (`file://build/models/iris` is the relative path `build/models/iris`); relative paths
    start at `base`. Raises ValueError for schemes only a cluster fetches (gs, s3, https).
    """
    parts = urlsplit(uri)
    if parts.scheme == "pvc":
        path = str(PurePath(volumes, parts.netloc + parts.path))
    elif parts.scheme == "file":
        path = parts.netloc + parts.path
    elif parts.scheme == "":
        path = uri
    else:
        raise ValueError(
            f'"{uri}" is fetched by the storage initializer in a cluster; locally use '
            "pvc://CLAIM/PATH (under the volumes directory), file:// or a path"
        )
    return str(PurePath(base, path))


def gateway_upstream(name: str, compiled: JSON, host: str, port: int) -> JSON:
    """One predictor in the gateway config: where its orchestrator listens, its traffic share."""
    return {
        "name": name,
        "host": host,
        "port": port,
        "traffic": compiled["traffic"],
        "shadow": compiled["shadow"],
        "mirrorPercent": compiled["mirrorPercent"],
    }


def _flags(name: str, ports: tuple[int, int, int]) -> tuple[str, ...]:
    return (
        name,
        "--host",
        LOOPBACK,
        "--http-port",
        str(ports[0]),
        "--grpc-port",
        str(ports[1]),
        "--metrics-port",
        str(ports[2]),
    )


def _local_env(
    owner: Node | Detector,
    workload: JSON,
    dirs: tuple[str, str],
    problems: list[Problem],
    source: str,
) -> dict[str, str]:
    """A workload's container env, its model (or reference data) path made local."""
    env = {e["name"]: str(e["value"]) for e in workload["container"]["env"] if "value" in e}
    if owner.model_uri is not None:
        try:
            env["INFERGRAPH_MODEL_URI"] = local_model_path(owner.model_uri, *dirs)
        except ValueError as exc:
            problems.append(Problem(source, owner.pointer + "/modelUri", str(exc)))
    return env


def _node_env(
    node: Node, workload: JSON, dirs: tuple[str, str], problems: list[Problem], source: str
) -> dict[str, str]:
    declared = VOCABULARY.implementations.get(node.implementation or "")
    if declared is not None and declared.container is not None:
        problems.append(
            Problem(
                source,
                node.pointer + "/implementation",
                f'{declared.name} runs its own image "{workload["container"]["image"]}", which '
                "infergraph up cannot run as a local process (no image pull, no GPU); expected "
                "--runtime containers with that image in the local Docker Engine, or a custom "
                "node standing in for it (an image and env INFERGRAPH_CLASS=module:Class)",
            )
        )
        return {}
    env = _local_env(node, workload, dirs, problems, source)
    if "INFERGRAPH_IMPLEMENTATION" not in env and "INFERGRAPH_CLASS" not in env:
        problems.append(
            Problem(
                source,
                node.pointer,
                f'image "{workload["container"]["image"]}" '
                "cannot run under infergraph up; set env INFERGRAPH_CLASS="
                "module:Class on its container to serve the class with our server",
            )
        )
    return env


def _detectors(
    graph: Graph, values: JSON, first_port: int, dirs: tuple[str, str], problems: list[Problem]
) -> list[LocalProcess]:
    """One `infergraph-server detector` per detector: HTTP and metrics ports, no gRPC."""
    out = []
    for i, detector in enumerate(graph.detectors):
        http, metrics = first_port + 2 * i, first_port + 2 * i + 1
        workload = values["detectors"][detector.name]
        env = _local_env(detector, workload, dirs, problems, graph.source)
        args = (*_flags("detector", (http, 0, metrics)), "--name", detector.name)
        name = f"detector {detector.name}"
        out.append(LocalProcess(name, args, env, http, "/v2/health/ready", None, metrics))
    return out


def _otel_env(workload: JSON) -> dict[str, str]:
    """The compiled OpenTelemetry variables of a workload (`spec.tracing`); the rest of an
    orchestrator's pod environment is for the cluster (ports come as flags here)."""
    env = workload["container"]["env"]
    return {e["name"]: str(e["value"]) for e in env if e["name"].startswith("OTEL_")}


class _Loopback:
    """Rewrites one predictor's runtime graph to the loopback ports of its processes."""

    def __init__(
        self, graph: Graph, predictor: Predictor, ports: Mapping[str, tuple[int, int, int]]
    ) -> None:
        self.nodes = {n.name: n for n in predictor.graph.walk()}
        self.graph, self.ports = graph, ports

    def runtime(self, declared: JSON, targets: Mapping[str, str], orchestrator: int) -> JSON:
        logging = declared["logging"]
        if logging is not None:
            logging = {**logging, "source": f"http://{LOOPBACK}:{orchestrator}/"}
        return {**declared, "logging": logging, "root": self.node(declared["root"], targets)}

    def node(self, runtime_node: JSON, targets: Mapping[str, str]) -> JSON:
        http, grpc, _ = self.ports[runtime_node["name"]]
        logger = effective_logger(self.graph, self.nodes[runtime_node["name"]])
        return {
            **runtime_node,
            "host": LOOPBACK,
            "httpPort": http,
            "grpcPort": grpc,
            "logger": None
            if logger is None
            else {"mode": logger[0], "url": resolve_target(logger[1], targets)},
            "children": [self.node(c, targets) for c in runtime_node["children"]],
        }


def _logsink(values: JSON, port: int, rundir: str, volumes: str) -> LocalProcess | None:
    """The log sink process on `port` (HTTP) and `port + 1` (metrics), or None: no sink."""
    sink = values["logSink"]
    if sink is None:
        return None
    claim = sink["persistentVolumeClaim"]
    directory = (
        PurePath(rundir, "logsink") if claim is None else PurePath(volumes, claim["fullname"])
    )
    flags = {"--host": LOOPBACK, "--http-port": str(port), "--metrics-port": str(port + 1)}
    args = ("logsink", *(x for pair in flags.items() for x in pair), "--directory", str(directory))
    return LocalProcess("logsink", args, {}, port, "/v2/health/ready", None, port + 1)


def plan_local(
    graph: Graph, values: JSON, port: int, rundir: str, base: str, volumes: str
) -> LocalPlan:
    """Plan a local run of `values` (from `compile_values(graph)`) behind a gateway on `port`.

    `rundir` is where `up` writes `files`; relative model paths and `volumes` (where
    `pvc://` claims live) start at `base`. Raises InvalidGraph naming every node that
    cannot run locally.
    """
    next_port = port + 1
    sink = _logsink(values, next_port, rundir, str(PurePath(base, volumes)))
    if sink is not None:
        next_port += 2
    problems: list[Problem] = []
    workloads = sum(len(list(p.graph.walk())) + 1 for p in graph.predictors)
    detectors = _detectors(graph, values, next_port + 3 * workloads, (base, volumes), problems)
    receivers = [] if sink is None else [sink]
    receivers += detectors
    addresses = {
        SINK if p is sink else f"{DETECTOR}:{p.args[-1]}": f"{LOOPBACK}:{p.port}" for p in receivers
    }
    loopback = targets(graph, addresses)
    processes: list[LocalProcess] = list(receivers)
    namespace = values["namespace"] or "default"  # what ce-namespace says locally
    orchestrators: list[LocalProcess] = []
    files: dict[str, str] = {}
    upstreams: list[JSON] = []
    for predictor in graph.predictors:
        compiled = values["predictors"][predictor.name]
        ports: dict[str, tuple[int, int, int]] = {}
        for node in predictor.graph.walk():
            ports[node.name] = (next_port, next_port + 1, next_port + 2)
            next_port += 3
            workload = compiled["nodes"][node.name]
            env = _node_env(node, workload, (base, volumes), problems, graph.source)
            args = (*_flags("component", ports[node.name]), "--name", node.name)
            name = f"node {predictor.name}/{node.name}"
            http, grpc, metrics = ports[node.name]
            processes.append(LocalProcess(name, args, env, http, "/v2/health/ready", grpc, metrics))
        graph_file = f"{predictor.name}.graph.json"
        orch_ports = (next_port, next_port + 1, next_port + 2)
        next_port += 3
        declared = json.loads(compiled["runtimeJson"])
        runtime = _Loopback(graph, predictor, ports).runtime(declared, loopback, orch_ports[0])
        files[graph_file] = json.dumps(runtime, indent=2, sort_keys=True) + "\n"
        args = (*_flags("orchestrator", orch_ports), "--graph", str(PurePath(rundir, graph_file)))
        orchestrators.append(
            LocalProcess(
                f"orchestrator {predictor.name}",
                args,
                {
                    **_otel_env(compiled["orchestrator"]),
                    **({} if runtime["logging"] is None else {"INFERGRAPH_NAMESPACE": namespace}),
                },
                orch_ports[0],
                "/v2/health/ready",
                orch_ports[1],
                orch_ports[2],
            )
        )
        upstreams.append(gateway_upstream(predictor.name, compiled, LOOPBACK, orch_ports[0]))
    if problems:
        raise InvalidGraph(problems)
    files["gateway.json"] = json.dumps({"predictors": upstreams}, indent=2) + "\n"
    gateway_args = (
        "gateway",
        "--host",
        LOOPBACK,
        "--http-port",
        str(port),
        "--config",
        str(PurePath(rundir, "gateway.json")),
        "--prefix",
        values["routing"]["prefix"],
    )
    gateway = LocalProcess("gateway", gateway_args, {}, port, None)
    test = values["test"]
    return LocalPlan(
        (*processes, *orchestrators, gateway),
        files,
        port,
        urlsplit(test["url"]).path,
        test["request"],
        loopback,
    )
