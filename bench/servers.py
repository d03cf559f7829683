"""How each server is started on loopback and spoken to, in one place: for the benchmarks and
for the tests (pytest's pythonpath holds bench/).

Our component server and orchestrator run from ``.venv``; seldon-core's microservice from
``.venv-peers`` (through ``seldon_loopback.py``); MLServer from ``.venv-mlserver``. Each
returns a :class:`Launch`: the server process (not yet started) and its ports. Tests use
``start_component`` / ``start_orchestrator`` / ``start_server``, context managers that yield
a started, ready Launch::

    with start_component(["--implementation", "SKLEARN_SERVER", "--model-uri", d]) as srv:
        srv.url + "/predict", srv.grpc_target, srv.metrics_url
    with start_orchestrator(write_graph(tmp / "g.json", srv)) as orch: ...
"""

from __future__ import annotations

import contextlib
import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
from harness import ServerProcess
from loopback import free_port_block
from loopback_http import QuietHandler, serving
from runtime_graph import Message, node, sklearn_node, write_graph_doc

__all__ = [
    "AB_ROUTES",
    "BATCH_LIMITS",
    "IRIS_ROW",
    "MLSERVER_V2_BODY",
    "ROOT",
    "SELDON_BODY",
    "SERVER",
    "V2_BODY",
    "Launch",
    "ab_builds",
    "batch_flags",
    "iris_expected",
    "is_ready",
    "mlserver",
    "mlserver_runtime",
    "orchestrator",
    "otlp_sink",
    "our_component",
    "ours",
    "probabilities",
    "runtime_node",
    "seldon_core",
    "seldon_iris_parameters",
    "sklearn_flags",
    "start_component",
    "start_orchestrator",
    "start_server",
    "write_graph",
    "write_runtime_graph",
]

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SERVER = ROOT / ".venv/bin/infergraph-server"
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]
SELDON_BODY = json.dumps({"data": {"ndarray": [IRIS_ROW]}}).encode()
_V2_INPUT = {"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": IRIS_ROW}
V2_BODY = json.dumps({"inputs": [_V2_INPUT]}).encode()
# mlserver-sklearn answers predict() unless the predict_proba output is asked for by name.
_PROBA = [{"name": "predict_proba"}]
MLSERVER_V2_BODY = json.dumps({"inputs": [_V2_INPUT], "outputs": _PROBA}).encode()


@dataclass(frozen=True)
class Launch:
    """A server to start (``with launch.proc:``) and where it will listen."""

    proc: ServerProcess
    http_port: int
    grpc_port: int
    metrics_port: int

    @property
    def url(self) -> str:
        """Base URL of its REST port."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        """host:port for grpc channels and tritonclient.grpc."""
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        """The Prometheus endpoint."""
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def stop(self) -> int | None:
        """Stop the server (see ServerProcess.stop); its exit code."""
        return self.proc.stop()


def iris_expected(model: Path) -> list[float]:
    """The probabilities every server must answer for IRIS_ROW, from the model file itself."""
    return [float(p) for p in joblib.load(model).predict_proba([IRIS_ROW])[0]]


def probabilities(answer: dict[str, object]) -> list[float]:
    """The first row of class probabilities from a Seldon or a V2 answer."""
    if "outputs" in answer:
        outputs = answer["outputs"]
        assert isinstance(outputs, list)
        return [float(x) for x in outputs[0]["data"]]
    data = answer["data"]
    assert isinstance(data, dict)
    return [float(x) for x in data["ndarray"][0]]


_TAKEN: set[int] = set()


def _ports() -> tuple[int, int, int]:
    """HTTP, gRPC and metrics ports for one server, none handed out before: a script builds
    every Launch before it starts any, so a block probed free may be one already given."""
    while True:
        base = free_port_block(3)
        ports = (base, base + 1, base + 2)
        if _TAKEN.isdisjoint(ports):
            _TAKEN.update(ports)
            return ports


def sklearn_flags(model: Path) -> list[str]:
    """Component flags that serve a joblib model's predict_proba with SKLEARN_SERVER."""
    method = [{"name": "method", "type": "STRING", "value": "predict_proba"}]
    return ["--implementation", "SKLEARN_SERVER", "--model-uri", str(model),
            "--parameters", json.dumps(method)]  # fmt: skip


#: the batching limits (rows, milliseconds) of bench_batching.py and of the A/B scripts
BATCH_LIMITS = (32, 2.0)


def batch_flags(limits: tuple[int, float]) -> list[str]:
    """Component flags for adaptive batching at ``(rows, milliseconds)``."""
    return ["--max-batch-size", str(limits[0]), "--max-batch-latency-ms", f"{limits[1]:g}"]


#: Seldon REST and V2 REST on an iris component server, and on an orchestrator in front of one
_SELDON_ROUTE = ("seldon", "/api/v1.0/predictions", SELDON_BODY)
AB_ROUTES = {
    False: (_SELDON_ROUTE, ("v2", "/v2/models/iris/infer", V2_BODY)),
    True: (_SELDON_ROUTE, ("v2", "/v2/models/graph/infer", V2_BODY)),
}


def ab_builds(
    work: Path,
    flags: Sequence[str],
    baseline: Path,
    orchestrators: bool,
    stack: contextlib.ExitStack[bool | None],
    *,
    batching: bool = False,
) -> dict[str, Launch]:
    """This checkout's server and ``baseline``'s, not yet started, for an A/B: iris component
    servers (this one batching at bench_batching.py's limits if ``batching``), or orchestrators
    (1 worker, graph ``graph``) in front of one batching iris node of this checkout (2 workers,
    the same limits), which is started here in ``stack``."""
    (work / "baseline").mkdir()  # its own log files
    if not orchestrators:
        this_flags = [*flags, *batch_flags(BATCH_LIMITS)] if batching else list(flags)
        return {"this": our_component(work, this_flags),
                "baseline": our_component(work / "baseline", flags, binary=baseline)}  # fmt: skip
    node = our_component(work, [*flags, *batch_flags(BATCH_LIMITS)], workers=2)
    stack.enter_context(node.proc)
    root = runtime_node("iris", "MODEL", "SKLEARN_SERVER", node)
    # readiness probes once an hour, not every 0.5 s: their work would count per request
    graph = write_runtime_graph(work / "graph.json", root, probePeriodMs=3_600_000)
    return {"this": orchestrator(graph, work),
            "baseline": orchestrator(graph, work / "baseline", binary=baseline)}  # fmt: skip


def ours(
    command: str,
    args: Sequence[str],
    log: Path,
    *,
    label: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    binary: Path = SERVER,
    start_timeout: float = 60.0,
    sample_interval: float | None = 0.2,
    cpus: frozenset[int] | None = None,
) -> Launch:
    """``infergraph-server COMMAND ARGS`` on loopback ports of its own, logging to ``log``
    (this checkout's server unless ``binary`` names another build; on ``cpus`` only if given)."""
    http, grpc, metrics = _ports()
    argv = [
        str(binary), command, *args, "--host", "127.0.0.1", "--http-port", str(http),
        "--grpc-port", str(grpc), "--metrics-port", str(metrics),
    ]  # fmt: skip
    ready = f"http://127.0.0.1:{http}/v2/health/ready"
    proc = ServerProcess(label or f"infergraph {command}", argv, ready, env=env, cwd=cwd,
                         log_path=log, start_timeout=start_timeout,
                         sample_interval=sample_interval, cpus=cpus)  # fmt: skip
    return Launch(proc, http, grpc, metrics)


_BENCH_FLAGS = ("--log-level", "WARNING")


def our_component(
    work_dir: Path,
    model_flags: Sequence[str],
    *,
    name: str = "iris",
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    binary: Path = SERVER,
    cpus: frozenset[int] | None = None,
) -> Launch:
    """``infergraph-server component --name NAME <model_flags>`` on loopback (this checkout's
    server unless ``binary`` names another build; on ``cpus`` only if given)."""
    args = ["--name", name, *model_flags, "--workers", str(workers), *_BENCH_FLAGS]
    log = work_dir / f"infergraph-{name}{'-pinned' if cpus else ''}.log"
    return ours("component", args, log, label=f"infergraph {name}", env=env, cwd=cwd,
                binary=binary, cpus=cpus)  # fmt: skip


def runtime_node(
    name: str, kind: str, implementation: str, launch: Launch, *children: Message
) -> Message:
    """One node of a runtime graph, served by ``launch`` on loopback, with a timeout a loaded
    machine does not reach."""
    return node(name, kind, *children, implementation=implementation, image=None,
                httpPort=launch.http_port, grpcPort=launch.grpc_port, timeoutMs=10_000)  # fmt: skip


def write_runtime_graph(path: Path, root: Message, transport: str = "rest", **fields: Any) -> Path:
    """A Seldon-protocol runtime graph around ``root``, named after the file, written to
    ``path`` for ``orchestrator`` (``transport`` to the nodes), with room for every connection
    of a load; ``fields`` override graph-level settings (``logging=...``); the path."""
    settings = {"maxConcurrency": 512, "maxBodyBytes": 10 << 20, "probePeriodMs": 500, **fields}
    return write_graph_doc(path, root, "seldon", graph=path.stem, transport=transport, **settings)


def orchestrator(
    graph_file: Path,
    work_dir: Path,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    binary: Path = SERVER,
    cpus: frozenset[int] | None = None,
) -> Launch:
    """``infergraph-server orchestrator --graph FILE`` on loopback (``env`` added to ours; this
    checkout's server unless ``binary`` names another build; on ``cpus`` only if given)."""
    args = ["--graph", str(graph_file), "--workers", str(workers), *_BENCH_FLAGS]
    log = work_dir / f"orchestrator-{graph_file.stem}{'-env' if env else ''}.log"
    return ours("orchestrator", args, log, label="orchestrator", env=env, binary=binary,
                cpus=cpus)  # fmt: skip


def is_ready(port: int) -> bool:
    """True when the server on `port` answers its readiness probe with 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def start_server(
    command: str,
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    timeout: float = 30.0,
) -> Iterator[Launch]:
    """``infergraph-server COMMAND ARGS`` started and ready (RuntimeError with the log's tail
    when not) until the block ends, for tests: a 5 s grace, no RSS sampling, its output in
    ``log`` (read it after the block), else in a file dropped after."""
    with tempfile.TemporaryDirectory() as tmp:
        out = log or Path(tmp) / f"{command}.log"
        launch = ours(command, ["--grace-seconds", "5", *args], out, env=env,
                      start_timeout=timeout, sample_interval=None)  # fmt: skip
        with launch.proc:
            yield launch


@contextlib.contextmanager
def start_component(
    args: Sequence[str], env: Mapping[str, str] | None = None, log: Path | None = None
) -> Iterator[Launch]:
    """A component server with `args` until the block ends (see start_server)."""
    with start_server("component", args, env, log) as server:
        yield server


@contextlib.contextmanager
def start_orchestrator(
    graph: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[Launch]:
    """An orchestrator of the runtime graph file `graph` until the block ends."""
    with start_server("orchestrator", ["--graph", str(graph), *args], env, log) as server:
        yield server


def write_graph(
    path: Path,
    node: Launch,
    name: str = "iris",
    protocol: str = "seldon",
    transport: str = "rest",
    max_body_bytes: int = 10 * 1024 * 1024,
) -> Path:
    """A runtime graph of one SKLEARN_SERVER MODEL node `name` served by `node`; its path."""
    root = sklearn_node(name, node.http_port, node.grpc_port, protocol=protocol)
    return write_graph_doc(
        path, root, protocol, transport=transport, maxBodyBytes=max_body_bytes, probePeriodMs=500
    )


class _Sink(QuietHandler):
    """Reads an OTLP/HTTP export request and answers 200 with an empty export response."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.answer(200, b"", "application/x-protobuf")


@contextlib.contextmanager
def otlp_sink() -> Iterator[str]:
    """An OTLP/HTTP endpoint on loopback that accepts and drops spans; its base URL."""
    with serving(_Sink) as port:
        yield f"http://127.0.0.1:{port}"


def seldon_core(
    work_dir: Path,
    interface: str = "seldon_iris.SeldonIris",
    parameters: list[dict[str, str]] | None = None,
    *,
    workers: int = 1,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Launch:
    """seldon-core-microservice (REST on gunicorn sync workers, plus its gRPC and metrics).

    ``interface`` is its positional user-class argument (``Module`` or ``module.Class``);
    the bench's own ``seldon_iris`` module is importable, others through ``env``/``cwd``.
    """
    http, grpc, metrics = _ports()
    argv = [
        str(ROOT / ".venv-peers/bin/python"), str(BENCH / "seldon_loopback.py"), interface,
        "--workers", str(workers), "--http-port", str(http), "--grpc-port", str(grpc),
        "--metrics-port", str(metrics), "--log-level", "WARNING",
        "--parameters", json.dumps(parameters or []),
    ]  # fmt: skip
    ready = f"http://127.0.0.1:{http}/health/ping"
    log = work_dir / f"seldon-core-{interface}.log"
    proc = ServerProcess("seldon-core", argv, ready, env=env, cwd=cwd, log_path=log)
    return Launch(proc, http, grpc, metrics)


def seldon_iris_parameters(model: Path) -> list[dict[str, str]]:
    """``--parameters`` for the bench's ``seldon_iris.SeldonIris`` serving ``model``."""
    return [{"name": "model_uri", "type": "STRING", "value": str(model)}]


def mlserver(
    model: Path, workers: int, work_dir: Path, batching: tuple[int, float] | None = None
) -> Launch:
    """MLServer + mlserver-sklearn with ``parallel_workers=workers`` (0: infer in-process);
    ``batching``: its adaptive batching on, as (max_batch_size, max_batch_time seconds)."""
    repo = "mlserver" if batching is None else "mlserver-batching"
    implementation = "mlserver_sklearn.SKLearnModel"
    return mlserver_runtime(work_dir / repo, "iris", implementation, model, workers, batching)


def mlserver_runtime(
    repo: Path,
    name: str,
    implementation: str,
    uri: Path,
    workers: int = 0,
    batching: tuple[int, float] | None = None,
) -> Launch:
    """MLServer serving model ``name`` from ``uri`` with the runtime class ``implementation``
    (``mlserver_xgboost.XGBoostModel``, ...) from a model repository written at ``repo``."""
    http, grpc, metrics = _ports()
    (repo / name).mkdir(parents=True, exist_ok=True)
    settings = {
        "host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics,
        "parallel_workers": workers, "debug": False,
    }  # fmt: skip
    (repo / "settings.json").write_text(json.dumps(settings))
    model_settings: dict[str, object] = {
        "name": name,
        "implementation": implementation,
        "parameters": {"uri": str(uri)},
    }
    if batching is not None:
        model_settings |= {"max_batch_size": batching[0], "max_batch_time": batching[1]}
    (repo / name / "model-settings.json").write_text(json.dumps(model_settings))
    argv = [str(ROOT / ".venv-mlserver/bin/mlserver"), "start", str(repo)]
    ready = f"http://127.0.0.1:{http}/v2/models/{name}/ready"
    proc = ServerProcess(repo.name, argv, ready, log_path=repo.parent / f"{repo.name}.log")
    return Launch(proc, http, grpc, metrics)
